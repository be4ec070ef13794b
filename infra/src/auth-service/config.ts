// Settings of the reference auth service (`sentinel auth-service`, and its place in `sentinel up`).
import { z } from 'zod';

const port = z.number().int().min(1).max(65_535);

export const authServiceConfigSchema = z
  .object({
    /** Address the HTTP endpoint binds. */
    host: z.string().default('127.0.0.1'),
    /** HTTP port; the endpoint is POST /auth. */
    port: port.default(8090),
    /** Bearer token the endpoint requires; empty: none (loopback only). Secret: never logged. */
    token: z.string().default(''),
    db: z
      .object({
        host: z.string().default('127.0.0.1'),
        /** The stack starts a private MariaDB on this port. */
        port: port.default(3307),
        /** Unix socket instead of TCP, when set. */
        socketPath: z.string().default(''),
        user: z.string().default('root'),
        /** Secret: never logged. */
        password: z.string().default(''),
        database: z
          .string()
          .regex(/^[A-Za-z0-9_]{1,64}$/, 'must be 1–64 letters, digits or underscores')
          .default('sentinel_auth'),
        /** Pooled connections to the database. */
        connections: z.number().int().min(1).max(256).default(16),
      })
      .strict()
      .prefault({}),
    /** Where `populate` writes the generated device credentials (relative to the data directory), mode 0600. */
    credentialsFile: z.string().default('auth/device-credentials.csv'),
  })
  .strict()
  .prefault({});
export type AuthServiceConfig = z.output<typeof authServiceConfigSchema>;
export type AuthDbConfig = AuthServiceConfig['db'];
