// Ed25519 signing of exported reports with a key from configuration (api.reports.signingKeyFile, PEM).
// The public key travels with the report; an auditor compares it with the one the operator published.
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ReportError } from '../errors.ts';

export class ReportSigner {
  readonly publicKey: string;

  constructor(private readonly key: KeyObject) {
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new ReportError(
        `the report signing key must be Ed25519, got ${key.asymmetricKeyType ?? 'unknown'}`,
      );
    }
    this.publicKey = createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64');
  }

  static fromPem(pem: string | Buffer): ReportSigner {
    try {
      return new ReportSigner(createPrivateKey(pem));
    } catch (err) {
      if (err instanceof ReportError) throw err;
      throw new ReportError(
        `the report signing key is not a PEM private key: ${(err as Error).message}`,
        err,
      );
    }
  }

  static fromFile(path: string): ReportSigner {
    let pem: Buffer;
    try {
      pem = readFileSync(path);
    } catch (err) {
      throw new ReportError(`cannot read api.reports.signingKeyFile ${JSON.stringify(path)}`, err);
    }
    return ReportSigner.fromPem(pem);
  }

  sign(data: Buffer | string): string {
    return sign(null, Buffer.from(data), this.key).toString('base64');
  }
}

/** Base64 that decodes and encodes back to itself (no stray padding bits, no ignored characters). */
function strictBase64(s: string): Buffer | undefined {
  const b = Buffer.from(s, 'base64');
  return b.toString('base64') === s ? b : undefined;
}

/** Verify an Ed25519 signature with a base64 SPKI DER public key. */
export function verifySignature(data: Buffer | string, signature: string, publicKey: string): boolean {
  // Node's decoder ignores the padding bits of the last character: without this check two spellings of
  // one signature would both verify, and a changed byte in a report could go unnoticed
  if (!strictBase64(signature) || !strictBase64(publicKey)) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
    return verify(null, Buffer.from(data), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
