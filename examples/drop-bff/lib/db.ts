/**
 * Drop's users, in a real SQLite database (better-sqlite3). ADR-007: a sign-in, with BankID or
 * (Phase 2) Vipps, finds or creates the user by a SHA-256 of the national identity number (the
 * number itself is never stored), so one person is one user whichever provider they use, and marks
 * them KYC-approved by that provider. Every sign-in is recorded with its provider (`sign_ins`); the
 * user row keeps the providers seen.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";

import type { ProviderName } from "./config";

export interface User {
  id: string;
  national_id_hash: string;
  given_name: string | null;
  family_name: string | null;
  birthdate: string | null;
  kyc_status: "approved";
  kyc_method: ProviderName;
  kyc_verified_at: string;
  created_at: string;
  last_login_at: string;
  /** The providers this user has signed in with, comma-separated in first-seen order ("bankid,vipps"). */
  providers: string;
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
        last_login_at    TEXT NOT NULL,
        providers        TEXT NOT NULL DEFAULT 'bankid'
      );
      CREATE TABLE IF NOT EXISTS sign_ins (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id       TEXT NOT NULL REFERENCES users (id),
        auth_provider TEXT NOT NULL CHECK (auth_provider IN ('bankid', 'vipps')),
        at            TEXT NOT NULL
      )`);
    const columns = conn.prepare("PRAGMA table_info(users)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "providers")) {  // a database from before Phase 2: every user came by BankID
      conn.exec("ALTER TABLE users ADD COLUMN providers TEXT NOT NULL DEFAULT 'bankid'");
    }
    holder.__dropDb = conn;
  }
  return holder.__dropDb;
}

export function nationalIdHash(nnin: string): string {
  return createHash("sha256").update(nnin, "utf8").digest("hex");
}

/**
 * The key a user is found by. ADR-007: the SHA-256 of the number. `subjectKey` is what the defects
 * `dedupe-by-sub` and `trust-vipps-without-nin` key by instead: the provider's `sub`, which differs
 * per provider (and per Vipps merchant), so the same person becomes two users.
 */
export function subjectKey(provider: ProviderName, sub: string): string {
  return createHash("sha256").update(`sub:${provider}:${sub}`, "utf8").digest("hex");
}

export interface Profile {
  given_name?: string;
  family_name?: string;
  birthdate?: string;
}

/**
 * Find the user by key (normally `nationalIdHash`) or create them; either way KYC-approved by the
 * provider they signed in with, now; the sign-in is recorded with its provider.
 */
export function upsertUser(key: string, provider: ProviderName, profile: Profile): { user: User; created: boolean } {
  const now = new Date().toISOString();
  const conn = db();
  return conn.transaction(() => {
    const existing = conn.prepare("SELECT id FROM users WHERE national_id_hash = ?").get(key) as { id: string } | undefined;
    const user = conn
      .prepare(
        `INSERT INTO users (id, national_id_hash, given_name, family_name, birthdate, kyc_status, kyc_method,
                            kyc_verified_at, created_at, last_login_at, providers)
         VALUES (@id, @key, @given, @family, @birthdate, 'approved', @provider, @now, @now, @now, @provider)
         ON CONFLICT (national_id_hash) DO UPDATE SET
           given_name = coalesce(excluded.given_name, users.given_name),
           family_name = coalesce(excluded.family_name, users.family_name),
           birthdate = coalesce(excluded.birthdate, users.birthdate),
           kyc_status = 'approved', kyc_method = excluded.kyc_method, kyc_verified_at = excluded.kyc_verified_at,
           last_login_at = excluded.last_login_at,
           providers = CASE WHEN instr(',' || users.providers || ',', ',' || excluded.kyc_method || ',') > 0
                            THEN users.providers ELSE users.providers || ',' || excluded.kyc_method END
         RETURNING *`,
      )
      .get({
        id: randomUUID(), key, now, provider,
        given: profile.given_name ?? null, family: profile.family_name ?? null, birthdate: profile.birthdate ?? null,
      }) as User;
    conn.prepare("INSERT INTO sign_ins (user_id, auth_provider, at) VALUES (?, ?, ?)").run(user.id, provider, now);
    return { user, created: !existing };
  })();
}

export function userById(id: string): User | undefined {
  return db().prepare("SELECT * FROM users WHERE id = ?").get(id) as User | undefined;
}
