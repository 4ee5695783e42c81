import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rowsOf } from '../database/statements.js';
import type { MemberStatus, MemberType } from '../organisations/organisation-member.entity.js';
import type { PersonalAccessToken } from './personal-access-token.entity.js';

/** A token with its owner, as every answer of the token operations shows it. */
export type PersonalAccessTokenRow = Omit<PersonalAccessToken, 'tokenHash' | 'member'> & {
  ownerEmail: string;
  ownerFirstName: string | null;
  ownerLastName: string | null;
  ownerType: MemberType;
  ownerStatus: MemberStatus;
  ownerCreatedAt: Date;
  ownerUpdatedAt: Date;
  ownerIsService: boolean;
};

/** What the guard needs of a token: whose it is, until when, and the owner's membership. */
export interface PersonalAccessTokenCredential {
  id: string;
  organisationId: string;
  userId: string;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  type: MemberType;
  status: MemberStatus;
}

/** `t` is the token row (a table or a CTE of RETURNING rows). */
const TOKEN_WITH_OWNER = `
  SELECT t.id, t.organisation_id AS "organisationId", t.user_id AS "userId", t.note,
         t.permissions, t.all_projects AS "allProjects", t.projects,
         t.expires_at AS "expiresAt", t.last_used_at AS "lastUsedAt",
         t.created_at AS "createdAt", t.updated_at AS "updatedAt",
         u.email AS "ownerEmail", u.first_name AS "ownerFirstName", u.last_name AS "ownerLastName",
         m.type AS "ownerType", m.status AS "ownerStatus",
         u.created_at AS "ownerCreatedAt", m.updated_at AS "ownerUpdatedAt",
         u.is_service AS "ownerIsService"
    FROM t
    JOIN organisation_members m ON m.organisation_id = t.organisation_id AND m.user_id = t.user_id
    JOIN users u ON u.id = t.user_id`;

/** Every statement on `personal_access_tokens`. */
export const PERSONAL_ACCESS_TOKENS_SQL = {
  // Every Bearer request runs this one: the unique index on token_hash, and the membership's
  // primary key. Unknown hashes and known ones cost the same index probe.
  authenticate: `SELECT t.id, t.organisation_id AS "organisationId", t.user_id AS "userId",
         t.expires_at AS "expiresAt", t.last_used_at AS "lastUsedAt", m.type, m.status
    FROM personal_access_tokens t
    JOIN organisation_members m ON m.organisation_id = t.organisation_id AND m.user_id = t.user_id
   WHERE t.token_hash = $1`,
  // At most one write per token per minute, however many requests use it: the condition is
  // settled by the row itself, so concurrent requests cannot write twice.
  touch: `UPDATE personal_access_tokens SET last_used_at = $2
   WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`,
} as const;

@Injectable()
export class PersonalAccessTokensRepository {
  /** Whether `userId` is a service account (`users.is_service`) that belongs to the organisation. */
  async isServiceAccountOf(
    db: EntityManager,
    organisationId: string,
    userId: string,
  ): Promise<boolean> {
    const rows = await rowsOf(
      db,
      `SELECT 1 FROM organisation_members m JOIN users u ON u.id = m.user_id
        WHERE m.organisation_id = $1 AND m.user_id = $2 AND u.is_service`,
      [organisationId, userId],
    );
    return rows.length > 0;
  }

  async authenticate(
    db: EntityManager,
    tokenHash: string,
  ): Promise<PersonalAccessTokenCredential | undefined> {
    const [row] = await rowsOf<PersonalAccessTokenCredential>(
      db,
      PERSONAL_ACCESS_TOKENS_SQL.authenticate,
      [tokenHash],
    );
    return row;
  }

  async touch(db: EntityManager, id: string, now: Date): Promise<void> {
    await rowsOf(db, PERSONAL_ACCESS_TOKENS_SQL.touch, [id, now]);
  }

  async insert(
    db: EntityManager,
    token: Pick<
      PersonalAccessToken,
      | 'organisationId'
      | 'userId'
      | 'note'
      | 'tokenHash'
      | 'permissions'
      | 'allProjects'
      | 'projects'
      | 'expiresAt'
      | 'createdAt'
    >,
  ): Promise<PersonalAccessTokenRow> {
    const [row] = await rowsOf<PersonalAccessTokenRow>(
      db,
      `WITH t AS (
         INSERT INTO personal_access_tokens (organisation_id, user_id, note, token_hash, permissions,
                                             all_projects, projects, expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5::text[], $6, $7::uuid[], $8, $9, $9)
         RETURNING *)
       ${TOKEN_WITH_OWNER}`,
      [
        token.organisationId,
        token.userId,
        token.note,
        token.tokenHash,
        token.permissions,
        token.allProjects,
        token.projects,
        token.expiresAt,
        token.createdAt,
      ],
    );
    return row;
  }

  /** One member's tokens, oldest first. */
  async list(
    db: EntityManager,
    organisationId: string,
    userId: string,
  ): Promise<PersonalAccessTokenRow[]> {
    return rowsOf<PersonalAccessTokenRow>(
      db,
      `WITH t AS (
         SELECT * FROM personal_access_tokens WHERE organisation_id = $1 AND user_id = $2)
       ${TOKEN_WITH_OWNER}
       ORDER BY t.created_at, t.id`,
      [organisationId, userId],
    );
  }

  async find(
    db: EntityManager,
    organisationId: string,
    userId: string,
    id: string,
  ): Promise<PersonalAccessTokenRow | undefined> {
    const [row] = await rowsOf<PersonalAccessTokenRow>(
      db,
      `WITH t AS (
         SELECT * FROM personal_access_tokens
          WHERE id = $3 AND organisation_id = $1 AND user_id = $2)
       ${TOKEN_WITH_OWNER}`,
      [organisationId, userId, id],
    );
    return row;
  }

  /** A new value (hash) and expiry for the token: the old value stops working with the commit. */
  async regenerate(
    db: EntityManager,
    organisationId: string,
    userId: string,
    id: string,
    change: Pick<PersonalAccessToken, 'tokenHash' | 'expiresAt' | 'updatedAt'>,
  ): Promise<PersonalAccessTokenRow | undefined> {
    const [row] = await rowsOf<PersonalAccessTokenRow>(
      db,
      `WITH t AS (
         UPDATE personal_access_tokens
            SET token_hash = $4, expires_at = $5, updated_at = $6, last_used_at = NULL
          WHERE id = $3 AND organisation_id = $1 AND user_id = $2
         RETURNING *)
       ${TOKEN_WITH_OWNER}`,
      [organisationId, userId, id, change.tokenHash, change.expiresAt, change.updatedAt],
    );
    return row;
  }

  async delete(
    db: EntityManager,
    organisationId: string,
    userId: string,
    id: string,
  ): Promise<PersonalAccessTokenRow | undefined> {
    const [row] = await rowsOf<PersonalAccessTokenRow>(
      db,
      `WITH t AS (
         DELETE FROM personal_access_tokens
          WHERE id = $3 AND organisation_id = $1 AND user_id = $2
         RETURNING *)
       ${TOKEN_WITH_OWNER}`,
      [organisationId, userId, id],
    );
    return row;
  }
}
