import { describe, expect, it } from 'vitest';
import { authServiceConfigSchema } from '../../src/auth-service/config.ts';
import { generateSecret, hashSecret, verifySecret } from '../../src/auth-service/hash.ts';
import type { HashAlg } from '../../src/auth-service/hash.ts';

describe('credential hashing', () => {
  const algs: HashAlg[] = ['hmac-sha256', 'scrypt'];
  it.each(algs)('auth service - a %s hash verifies its secret and nothing else', async (alg) => {
    const h = await hashSecret('correct horse battery staple', alg);
    expect(h.alg).toBe(alg);
    expect(h.hash.toString('utf8')).not.toContain('horse');
    expect(await verifySecret(Buffer.from('correct horse battery staple'), h)).toBe(true);
    expect(await verifySecret(Buffer.from('correct horse battery stapl'), h)).toBe(false);
    expect(await verifySecret(Buffer.from(''), h)).toBe(false);
  });

  it('auth service - the same secret hashed twice gets different salts and hashes', async () => {
    const a = await hashSecret('same', 'hmac-sha256');
    const b = await hashSecret('same', 'hmac-sha256');
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(a.hash.equals(b.hash)).toBe(false);
  });

  it('auth service - generated device secrets carry 128 random bits', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const s = generateSecret();
      expect(Buffer.from(s, 'base64url')).toHaveLength(16);
      seen.add(s);
    }
    expect(seen.size).toBe(1000);
  });

  it('config - a database name that is not a plain identifier is refused', () => {
    expect(() => authServiceConfigSchema.parse({ db: { database: 'x`; DROP TABLE devices; --' } })).toThrow();
    expect(authServiceConfigSchema.parse({}).db.port).toBe(3307);
  });
});
