// Credential hashing. Human-chosen passwords get scrypt (slow on purpose: guessing is the threat). Device
// secrets are 128 random bits or more, which no guessing reaches, so a salted HMAC-SHA256 is enough and
// keeps a cache-miss CONNECT well under a millisecond of hashing. Each row says which one it used.
import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

export const HASH_ALGS = ['hmac-sha256', 'scrypt'] as const;
export type HashAlg = (typeof HASH_ALGS)[number];

/** scrypt cost for human passwords: N=2^14, r=8, p=1 (about 16 MiB and tens of ms per check). */
export const SCRYPT_PARAMS = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const SCRYPT_KEYLEN = 32;

function scrypt(secret: Buffer, salt: Buffer, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, SCRYPT_KEYLEN, o, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export function hmacHash(secret: Buffer | string, salt: Buffer): Buffer {
  return createHmac('sha256', salt).update(secret).digest();
}

export interface StoredHash {
  alg: HashAlg;
  salt: Buffer;
  hash: Buffer;
}

export async function hashSecret(secret: string, alg: HashAlg): Promise<StoredHash> {
  const salt = randomBytes(16);
  const buf = Buffer.from(secret, 'utf8');
  const hash = alg === 'scrypt' ? await scrypt(buf, salt, SCRYPT_PARAMS) : hmacHash(buf, salt);
  return { alg, salt, hash };
}

export async function verifySecret(secret: Buffer, stored: StoredHash): Promise<boolean> {
  const got =
    stored.alg === 'scrypt'
      ? await scrypt(secret, stored.salt, SCRYPT_PARAMS)
      : hmacHash(secret, stored.salt);
  return got.length === stored.hash.length && timingSafeEqual(got, stored.hash);
}

/** A generated device secret: 128 random bits, base64url (22 characters). */
export function generateSecret(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}
