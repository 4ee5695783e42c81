import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rowsOf } from '../database/statements.js';
import type { User } from './user.entity.js';

/**
 * The SQL expression of a user's full name from their first and last name, null when neither is
 * set: `fullNameSql('u')`. For the statements of other tables that name a user.
 */
export function fullNameSql(alias: string): string {
  return `NULLIF(concat_ws(' ', ${alias}.first_name, ${alias}.last_name), '')`;
}

/**
 * The SQL expression listUsers' `search` matches, over a `users` row: the address, first and last
 * name, lowercased, joined by a character no search can hold. The pg_trgm GIN index
 * `users_search_trgm_idx` (migration ServiceAccounts) is built on exactly this expression.
 */
export function userSearchSql(alias: string): string {
  return `lower(${alias}.email || E'\\x01' || coalesce(${alias}.first_name, '') || E'\\x01' || coalesce(${alias}.last_name, ''))`;
}

/** Every statement on `users`. */
export const USERS_SQL = {
  // DO UPDATE (a no-op) rather than DO NOTHING so every row comes back, and so concurrent invites
  // of the same person queue behind its lock.
  upsertByEmail: `INSERT INTO users (email, created_at)
       SELECT v.email, $2 FROM unnest($1::text[]) AS v(email)
       ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email
       RETURNING id, email, is_service AS "isService"`,
} as const;

/** Users: one row per person, shared across organisations. */
@Injectable()
export class UsersRepository {
  /** The users of these (lowercased) addresses, created when new. */
  upsertByEmail(
    db: EntityManager,
    emails: string[],
    createdAt: Date,
  ): Promise<Pick<User, 'id' | 'email' | 'isService'>[]> {
    return rowsOf(db, USERS_SQL.upsertByEmail, [emails, createdAt]);
  }

  /** A new service account of this (lowercased) address; undefined when the address is taken. */
  async insertService(
    db: EntityManager,
    email: string,
    createdAt: Date,
  ): Promise<string | undefined> {
    const [row] = await rowsOf<Pick<User, 'id'>>(
      db,
      `INSERT INTO users (email, is_service, created_at) VALUES ($1, true, $2)
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [email, createdAt],
    );
    return row?.id;
  }

  /** Sets the names given (a name left undefined stays as it is). */
  async updateNames(
    db: EntityManager,
    userId: string,
    names: Partial<Pick<User, 'firstName' | 'lastName'>>,
  ): Promise<void> {
    await rowsOf(
      db,
      `UPDATE users SET first_name = CASE WHEN $2 THEN $3 ELSE first_name END,
                        last_name = CASE WHEN $4 THEN $5 ELSE last_name END
        WHERE id = $1`,
      [
        userId,
        names.firstName !== undefined,
        names.firstName ?? null,
        names.lastName !== undefined,
        names.lastName ?? null,
      ],
    );
  }
}
