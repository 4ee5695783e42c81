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

/** Every statement on `users`. */
export const USERS_SQL = {
  // DO UPDATE (a no-op) rather than DO NOTHING so every row comes back, and so concurrent invites
  // of the same person queue behind its lock.
  upsertByEmail: `INSERT INTO users (email, created_at)
       SELECT v.email, $2 FROM unnest($1::text[]) AS v(email)
       ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email
       RETURNING id, email`,
} as const;

/** Users: one row per person, shared across organisations. */
@Injectable()
export class UsersRepository {
  /** The users of these (lowercased) addresses, created when new. */
  upsertByEmail(
    db: EntityManager,
    emails: string[],
    createdAt: Date,
  ): Promise<Pick<User, 'id' | 'email'>[]> {
    return rowsOf(db, USERS_SQL.upsertByEmail, [emails, createdAt]);
  }
}
