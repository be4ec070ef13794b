// The credential store of the reference auth service: one primary-key lookup and one hash check per
// request, parameterized statements only (prepared through mysql2's execute()).
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { hashSecret, hmacHash, verifySecret } from './hash.ts';
import type { HashAlg } from './hash.ts';

export interface AclRules {
  publish?: { allow?: string[]; deny?: string[] };
  subscribe?: { allow?: string[]; deny?: string[] };
  retain?: boolean;
  wildcards?: boolean;
}

/** What a device may do when its row carries no ACL. */
export const DEFAULT_DEVICE_ACL: AclRules = {
  publish: { allow: ['devices/%c/#'] },
  subscribe: { allow: ['clients/%c/alerts'] },
  retain: false,
  wildcards: false,
};

export interface AuthRequest {
  clientId: string;
  username?: string;
  password?: string;
  ip?: string;
  certFingerprint?: string;
}

export interface AuthAnswer {
  allow: boolean;
  reason: string;
  acl?: AclRules;
  /** ms since epoch. */
  expiresAt?: number;
}

interface CredentialRow extends RowDataPacket {
  username: string | null;
  secret_hash: Buffer;
  salt: Buffer;
  hash_alg: HashAlg;
  cert_fingerprint: string | null;
  acl: AclRules | string | null;
  enabled: number;
  expires_at: Date | null;
}

const DEVICE_SQL =
  'SELECT username, secret_hash, salt, hash_alg, cert_fingerprint, acl, enabled, expires_at FROM devices WHERE client_id = ?';
const USER_SQL =
  'SELECT username, password_hash AS secret_hash, salt, hash_alg, NULL AS cert_fingerprint, acl, enabled, expires_at FROM users WHERE username = ?';

/** Spent on unknown identities too, so response time does not tell which client ids exist. */
const DUMMY_SALT = Buffer.alloc(16, 7);

const deny = (reason: string): AuthAnswer => ({ allow: false, reason });

function aclOf(v: CredentialRow['acl']): AclRules | undefined {
  if (v === null) return undefined;
  return typeof v === 'string' ? (JSON.parse(v) as AclRules) : v;
}

export class CredentialStore {
  constructor(private readonly pool: Pool) {}

  async check(req: AuthRequest, now = Date.now()): Promise<AuthAnswer> {
    if (req.password === undefined || req.password === '') return deny('auth.missing_credentials');
    const secret = Buffer.from(req.password, 'utf8');
    const [devices] = await this.pool.execute<CredentialRow[]>(DEVICE_SQL, [req.clientId]);
    let row = devices[0];
    let isDevice = true;
    if (row === undefined && req.username !== undefined) {
      const [users] = await this.pool.execute<CredentialRow[]>(USER_SQL, [req.username]);
      row = users[0];
      isDevice = false;
    }
    if (row === undefined) {
      hmacHash(secret, DUMMY_SALT);
      return deny('auth.unknown_client');
    }
    if (isDevice && row.username !== null && req.username !== undefined && req.username !== row.username) {
      return deny('auth.bad_credentials');
    }
    const ok = await verifySecret(secret, { alg: row.hash_alg, salt: row.salt, hash: row.secret_hash });
    if (!ok || row.enabled !== 1) return deny('auth.bad_credentials');
    const expiresAt = row.expires_at?.getTime();
    if (expiresAt !== undefined && expiresAt <= now) return deny('auth.expired');
    if (
      isDevice &&
      row.cert_fingerprint !== null &&
      row.cert_fingerprint !== req.certFingerprint?.toLowerCase()
    ) {
      return deny('auth.cert_mismatch');
    }
    const answer: AuthAnswer = { allow: true, reason: 'auth.ok', acl: aclOf(row.acl) ?? DEFAULT_DEVICE_ACL };
    if (expiresAt !== undefined) answer.expiresAt = expiresAt;
    return answer;
  }

  async addDevice(d: {
    clientId: string;
    secret: string;
    username?: string;
    /** hmac-sha256 for generated secrets (128+ random bits), scrypt for ones a person chose. */
    alg?: HashAlg;
    acl?: AclRules;
    enabled?: boolean;
    expiresAt?: Date;
    certFingerprint?: string;
  }): Promise<void> {
    const h = await hashSecret(d.secret, d.alg ?? 'hmac-sha256');
    await this.pool.execute(
      `INSERT INTO devices (client_id, username, secret_hash, salt, hash_alg, cert_fingerprint, acl, enabled, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE username = VALUES(username), secret_hash = VALUES(secret_hash), salt = VALUES(salt),
         hash_alg = VALUES(hash_alg), cert_fingerprint = VALUES(cert_fingerprint), acl = VALUES(acl),
         enabled = VALUES(enabled), expires_at = VALUES(expires_at)`,
      [
        d.clientId,
        d.username ?? null,
        h.hash,
        h.salt,
        h.alg,
        d.certFingerprint?.toLowerCase() ?? null,
        d.acl ? JSON.stringify(d.acl) : null,
        d.enabled === false ? 0 : 1,
        d.expiresAt ?? null,
      ],
    );
  }

  /** A human account: always scrypt. */
  async addUser(u: {
    username: string;
    password: string;
    acl?: AclRules;
    enabled?: boolean;
    expiresAt?: Date;
  }): Promise<void> {
    const h = await hashSecret(u.password, 'scrypt');
    await this.pool.execute(
      `INSERT INTO users (username, password_hash, salt, hash_alg, acl, enabled, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE password_hash = VALUES(password_hash), salt = VALUES(salt), hash_alg = VALUES(hash_alg),
         acl = VALUES(acl), enabled = VALUES(enabled), expires_at = VALUES(expires_at)`,
      [
        u.username,
        h.hash,
        h.salt,
        h.alg,
        u.acl ? JSON.stringify(u.acl) : null,
        u.enabled === false ? 0 : 1,
        u.expiresAt ?? null,
      ],
    );
  }

  async setDeviceEnabled(clientId: string, enabled: boolean): Promise<void> {
    await this.pool.execute('UPDATE devices SET enabled = ? WHERE client_id = ?', [
      enabled ? 1 : 0,
      clientId,
    ]);
  }

  async countDevices(): Promise<number> {
    const [rows] = await this.pool.execute<(RowDataPacket & { n: number })[]>(
      'SELECT COUNT(*) AS n FROM devices',
    );
    return Number(rows[0]?.n ?? 0);
  }
}
