/**
 * Drop's users, in a real SQLite database (better-sqlite3). ADR-007: a BankID sign-in finds or
 * creates the user by a SHA-256 of the national identity number (the number itself is never
 * stored) and marks them KYC-approved by BankID.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";

export interface User {
  id: string;
  national_id_hash: string;
  given_name: string | null;
  family_name: string | null;
  birthdate: string | null;
  kyc_status: "approved";
  kyc_method: "bankid";
  kyc_verified_at: string;
  created_at: string;
  last_login_at: string;
}

const holder = globalThis as { __dropDb?: Database.Database };

export function db(): Database.Database {
  if (!holder.__dropDb) {
    const file = process.env.DROP_BFF_DB || path.join(process.cwd(), "data", "drop.sqlite");
    mkdirSync(path.dirname(file), { recursive: true });
    const conn = new Database(file);
    conn.pragma("journal_mode = WAL");
    conn.exec(`
      CREATE TABLE IF NOT EXISTS users (
        id               TEXT PRIMARY KEY,
        national_id_hash TEXT NOT NULL UNIQUE,
        given_name       TEXT,
        family_name      TEXT,
        birthdate        TEXT,
        kyc_status       TEXT NOT NULL CHECK (kyc_status IN ('pending', 'approved', 'rejected')),
        kyc_method       TEXT NOT NULL,
        kyc_verified_at  TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        last_login_at    TEXT NOT NULL
      )`);
    holder.__dropDb = conn;
  }
  return holder.__dropDb;
}

export function nationalIdHash(nnin: string): string {
  return createHash("sha256").update(nnin, "utf8").digest("hex");
}

/** Find the user by national_id_hash or create them; either way KYC-approved by BankID, now. */
export function upsertBankIdUser(nnin: string, profile: { given_name?: string; family_name?: string; birthdate?: string }): { user: User; created: boolean } {
  const now = new Date().toISOString();
  const hash = nationalIdHash(nnin);
  const conn = db();
  const existing = conn.prepare("SELECT id FROM users WHERE national_id_hash = ?").get(hash) as { id: string } | undefined;
  const user = conn
    .prepare(
      `INSERT INTO users (id, national_id_hash, given_name, family_name, birthdate, kyc_status, kyc_method,
                          kyc_verified_at, created_at, last_login_at)
       VALUES (@id, @hash, @given, @family, @birthdate, 'approved', 'bankid', @now, @now, @now)
       ON CONFLICT (national_id_hash) DO UPDATE SET
         given_name = excluded.given_name, family_name = excluded.family_name, birthdate = excluded.birthdate,
         kyc_status = 'approved', kyc_method = 'bankid', kyc_verified_at = excluded.kyc_verified_at,
         last_login_at = excluded.last_login_at
       RETURNING *`,
    )
    .get({
      id: randomUUID(), hash, now,
      given: profile.given_name ?? null, family: profile.family_name ?? null, birthdate: profile.birthdate ?? null,
    }) as User;
  return { user, created: !existing };
}

export function userById(id: string): User | undefined {
  return db().prepare("SELECT * FROM users WHERE id = ?").get(id) as User | undefined;
}
