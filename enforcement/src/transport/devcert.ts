// The development certificates of the local stack, made with the openssl command line on first start:
// a private CA, a server certificate for localhost / 127.0.0.1 and, on demand, device certificates whose
// CN is the client id (for device-bound mTLS). Production deployments configure their own files.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EnforcementError, EnforcementErrorCode } from '../errors.ts';

const run = promisify(execFile);

export interface DevCertificate {
  dir: string;
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export interface DeviceCertificate {
  cert: string;
  key: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new EnforcementError(
      EnforcementErrorCode.Certificate,
      `openssl ${args[0]} failed: ${e.stderr ?? e.message}`,
      {
        cause: err,
      },
    );
  }
}

/** A P-256 key and a certificate for `cn` signed by the CA in `dir`. */
async function issue(dir: string, name: string, cn: string, ext: string, days: number): Promise<void> {
  writeFileSync(join(dir, `${name}.ext`), ext);
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  await openssl(
    ['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}/O=Sentinel devices`],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      String(days),
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

/** Make (once) the development CA and server certificate in `dir`; later calls reuse them. */
export async function ensureDevCertificate(dir: string, days = 365): Promise<DevCertificate> {
  const out: DevCertificate = {
    dir,
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
  };
  if (existsSync(out.cert) && existsSync(out.key) && existsSync(out.caCert)) return out;
  mkdirSync(dir, { recursive: true });
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      String(days),
      '-subj',
      '/CN=Sentinel Development CA',
    ],
    dir,
  );
  await issue(
    dir,
    'server',
    'localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
    days,
  );
  return out;
}

/** A device certificate with CN = `clientId`, signed by the development CA (for mTLS tests and demos). */
export async function issueDeviceCertificate(
  ca: DevCertificate,
  clientId: string,
  days = 365,
): Promise<DeviceCertificate> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(clientId)) {
    throw new EnforcementError(
      EnforcementErrorCode.Certificate,
      `client id ${JSON.stringify(clientId)} cannot be a certificate CN here`,
    );
  }
  const name = `device-${clientId}`;
  await issue(ca.dir, name, clientId, 'extendedKeyUsage=clientAuth\n', days);
  return { cert: join(ca.dir, `${name}.pem`), key: join(ca.dir, `${name}.key`) };
}
