// Tables of the reference auth service. Only salted hashes are stored; `hash_alg` says per row whether the
// secret was generated (hmac-sha256) or chosen by a person (scrypt). `acl` NULL means the default device
// ACL (publish devices/%c/#, subscribe clients/%c/alerts), which keeps 1.5 million rows small.
import type { Connection } from 'mysql2/promise';

const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

export const TABLES = [
  `CREATE TABLE IF NOT EXISTS devices (
    client_id VARCHAR(255) NOT NULL PRIMARY KEY,
    username VARCHAR(255) NULL,
    secret_hash VARBINARY(64) NOT NULL,
    salt VARBINARY(32) NOT NULL,
    hash_alg ENUM('hmac-sha256','scrypt') NOT NULL,
    cert_fingerprint CHAR(64) NULL,
    acl JSON NULL,
    enabled TINYINT(1) NOT NULL DEFAULT 1,
    expires_at DATETIME(3) NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  `CREATE TABLE IF NOT EXISTS users (
    username VARCHAR(255) NOT NULL PRIMARY KEY,
    password_hash VARBINARY(64) NOT NULL,
    salt VARBINARY(32) NOT NULL,
    hash_alg ENUM('hmac-sha256','scrypt') NOT NULL DEFAULT 'scrypt',
    acl JSON NULL,
    enabled TINYINT(1) NOT NULL DEFAULT 1,
    expires_at DATETIME(3) NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
];

/** Create the database (name checked: identifiers cannot be bound as parameters) and the tables. */
export async function ensureSchema(conn: Connection, database: string): Promise<void> {
  if (!DATABASE_NAME.test(database))
    throw new Error(`database name ${JSON.stringify(database)} must match ${DATABASE_NAME}`);
  await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await conn.query(`USE \`${database}\``);
  for (const ddl of TABLES) await conn.query(ddl);
}
