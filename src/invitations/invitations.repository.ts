import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rowsOf } from '../database/statements.js';
import { fullNameSql } from '../users/users.repository.js';
import type { Invitation } from './invitation.entity.js';
import { pastExpirySql } from './invitation-expiry.js';

/** The one row type of `invitations`: the entity's fields, as every statement here names them. */
export type InvitationRow = Invitation;
/** What the invite, resend and accept paths return. */
export type InvitationSummary = Pick<
  InvitationRow,
  'id' | 'email' | 'userId' | 'createdAt' | 'expiresAt' | 'sendCount'
>;
/** The invitation an email is about, with what the email names. */
export type InvitationWithNames = Pick<InvitationRow, 'status' | 'email' | 'expiresAt'> & {
  organisationName: string;
  inviterEmail: string | null;
  inviterName: string | null;
};

const summary = (i: string) =>
  `${i}.id, ${i}.email, ${i}.user_id AS "userId", ${i}.created_at AS "createdAt",
   ${i}.expires_at AS "expiresAt", ${i}.send_count AS "sendCount"`;

/** Organisation and inviter of the invitation aliased `i` (joins and columns). */
const NAMES_COLUMNS = `o.name AS "organisationName",
   (SELECT u.email FROM users AS u WHERE u.id = i.invited_by) AS "inviterEmail",
   (SELECT ${fullNameSql('u')} FROM users AS u WHERE u.id = i.invited_by) AS "inviterName"`;

/** The statements the invite request runs, also run as they are by the bench's baseline. */
export const INVITATIONS_SQL = {
  // Insert a pending invitation, or refresh the pending one (new expiry, link cleared until the
  // worker mails a new token) unless its last email was queued within the cooldown and it has not
  // expired: then it is left exactly as it is.
  upsertPending: `INSERT INTO invitations AS i
         (organisation_id, user_id, email, status, token_hash, invited_by, created_at, expires_at,
          last_sent_at, send_count, delivery_status)
       SELECT $1, v.user_id, v.email, 'pending', NULL, $2, $3, $4, $3, 1, 'queued'
         FROM unnest($5::uuid[], $6::text[]) AS v(user_id, email)
       ON CONFLICT (organisation_id, email) WHERE status = 'pending'
       DO UPDATE SET token_hash = NULL,
                     invited_by = EXCLUDED.invited_by,
                     expires_at = EXCLUDED.expires_at,
                     last_sent_at = EXCLUDED.last_sent_at,
                     send_count = i.send_count + 1,
                     delivery_status = 'queued',
                     delivery_error = NULL
         WHERE i.last_sent_at IS NULL OR i.last_sent_at <= $7 OR ${pastExpirySql('i', '$3')}
       RETURNING ${summary('i')}, (i.xmax = 0) AS inserted`,
  findPending: `SELECT ${summary('i')}, false AS inserted FROM invitations AS i
      WHERE i.organisation_id = $1 AND i.email = ANY($2::text[]) AND i.status = 'pending'`,
} as const;

export interface UpsertPending {
  organisationId: string;
  invitedBy: string;
  now: Date;
  expiresAt: Date | null;
  userIds: string[];
  emails: string[];
  /** Pending invitations last queued after this are left alone. */
  cooldownEdge: Date;
}

/** Every statement on `invitations`. */
@Injectable()
export class InvitationsRepository {
  /** The invitations inserted or refreshed (`inserted`: new); those in their cooldown are absent. */
  upsertPending(
    db: EntityManager,
    u: UpsertPending,
  ): Promise<(InvitationSummary & { inserted: boolean })[]> {
    return rowsOf(db, INVITATIONS_SQL.upsertPending, [
      u.organisationId,
      u.invitedBy,
      u.now,
      u.expiresAt,
      u.userIds,
      u.emails,
      u.cooldownEdge,
    ]);
  }

  findPending(db: EntityManager, organisationId: string, emails: string[]) {
    return rowsOf<InvitationSummary & { inserted: boolean }>(db, INVITATIONS_SQL.findPending, [
      organisationId,
      emails,
    ]);
  }

  /** Resend: new expiry, the old link dead at once, a new generation queued. */
  async refresh(
    db: EntityManager,
    r: {
      organisationId: string;
      userId: string;
      invitedBy: string;
      expiresAt: Date | null;
      now: Date;
    },
  ): Promise<InvitationSummary | undefined> {
    const [row] = await rowsOf<InvitationSummary>(
      db,
      `UPDATE invitations AS i
          SET token_hash = NULL, invited_by = $3, expires_at = $4, last_sent_at = $5,
              send_count = send_count + 1, delivery_status = 'queued', delivery_error = NULL
        WHERE organisation_id = $1 AND user_id = $2 AND status = 'pending'
        RETURNING ${summary('i')}`,
      [r.organisationId, r.userId, r.invitedBy, r.expiresAt, r.now],
    );
    return row;
  }

  /** A queued email will not go out (the worker skips revoked invitations): its status says so. */
  async revoke(db: EntityManager, organisationId: string, userId: string, now: Date) {
    const [row] = await rowsOf<Pick<InvitationRow, 'id' | 'email'>>(
      db,
      `UPDATE invitations SET status = 'revoked', revoked_at = $3, token_hash = NULL,
              delivery_status = CASE WHEN delivery_status = 'queued' THEN NULL ELSE delivery_status END
        WHERE organisation_id = $1 AND user_id = $2 AND status = 'pending'
        RETURNING id, email`,
      [organisationId, userId, now],
    );
    return row;
  }

  async hasAccepted(db: EntityManager, organisationId: string, userId: string): Promise<boolean> {
    const rows = await rowsOf(
      db,
      `SELECT 1 FROM invitations
        WHERE organisation_id = $1 AND user_id = $2 AND status = 'accepted' LIMIT 1`,
      [organisationId, userId],
    );
    return rows.length > 0;
  }

  /** The invitation a token opens (by its hash), with what the accept page names. */
  async findByTokenHash(
    db: EntityManager,
    tokenHash: string,
  ): Promise<InvitationWithNames | undefined> {
    const [row] = await rowsOf<InvitationWithNames>(
      db,
      `SELECT i.status, i.email, i.expires_at AS "expiresAt", ${NAMES_COLUMNS}
         FROM invitations i JOIN organisations o ON o.id = i.organisation_id
        WHERE i.token_hash = $1`,
      [tokenHash],
    );
    return row;
  }

  /** The invitation a token opens, its row locked until the transaction ends. */
  async lockByTokenHash(db: EntityManager, tokenHash: string) {
    const [row] = await rowsOf<
      InvitationSummary & Pick<InvitationRow, 'organisationId' | 'status'>
    >(
      db,
      `SELECT ${summary('i')}, i.organisation_id AS "organisationId", i.status
         FROM invitations AS i WHERE i.token_hash = $1 FOR UPDATE`,
      [tokenHash],
    );
    return row;
  }

  async markAccepted(db: EntityManager, id: string, now: Date): Promise<void> {
    await rowsOf(db, `UPDATE invitations SET status = 'accepted', accepted_at = $2 WHERE id = $1`, [
      id,
      now,
    ]);
  }

  // The mail worker's statements: see InvitationDelivery for the protocol they make up.

  /**
   * Claims several invitations for sending in one UPDATE: each claim stores its new token's hash
   * and takes the lease when the invitation is pending, of this generation, not expired, not sent
   * and not leased by another worker. Rows come back by the hash each claim brought, so two claims
   * of one invitation cannot both get it. (Row locks are taken in join order: a deadlock with a
   * request refreshing the same invitations fails this statement, and its jobs are retried.)
   */
  async claim(
    db: EntityManager,
    claims: readonly { invitationId: string; generation: number; hash: string }[],
    leaseUntil: Date,
    now: Date,
  ): Promise<Map<string, InvitationWithNames>> {
    const rows = await rowsOf<InvitationWithNames & { hash: string }>(
      db,
      `UPDATE invitations AS i
          SET token_hash = c.hash, delivery_lease_until = $4
         FROM unnest($1::uuid[], $2::int[], $3::text[]) AS c(id, generation, hash),
              organisations AS o
        WHERE i.id = c.id AND o.id = i.organisation_id
          AND i.status = 'pending' AND i.send_count = c.generation
          AND i.delivery_status IS DISTINCT FROM 'sent' AND NOT ${pastExpirySql('i', '$5')}
          -- a lease only counts while its token is the current one: refreshing clears token_hash
          AND (i.token_hash IS NULL OR i.delivery_lease_until IS NULL
               OR i.delivery_lease_until <= $5)
      RETURNING c.hash, i.status, i.email, i.expires_at AS "expiresAt", ${NAMES_COLUMNS}`,
      [
        claims.map((c) => c.invitationId),
        claims.map((c) => c.generation),
        claims.map((c) => c.hash),
        leaseUntil,
        now,
      ],
    );
    return new Map(rows.map(({ hash, ...row }) => [hash, row]));
  }

  /** The delivery state of one invitation: why a claim took nothing. */
  async deliveryState(db: EntityManager, id: string) {
    const [row] = await rowsOf<
      Pick<
        InvitationRow,
        'status' | 'sendCount' | 'deliveryStatus' | 'expiresAt' | 'tokenHash' | 'deliveryLeaseUntil'
      >
    >(
      db,
      `SELECT status, send_count AS "sendCount", delivery_status AS "deliveryStatus",
              expires_at AS "expiresAt", token_hash AS "tokenHash",
              delivery_lease_until AS "deliveryLeaseUntil"
         FROM invitations WHERE id = $1`,
      [id],
    );
    return row;
  }

  /** Marks several generations sent, in one UPDATE. */
  async recordSent(
    db: EntityManager,
    jobs: readonly { invitationId: string; generation: number }[],
    now: Date,
  ): Promise<void> {
    await rowsOf(
      db,
      `UPDATE invitations AS i
          SET delivery_status = 'sent', delivery_error = NULL,
              delivery_attempted_at = $3, delivery_lease_until = NULL
         FROM unnest($1::uuid[], $2::int[]) AS c(id, generation)
        WHERE i.id = c.id AND i.send_count = c.generation`,
      [jobs.map((j) => j.invitationId), jobs.map((j) => j.generation), now],
    );
  }

  /** An attempt failed: the reason is kept, the status stays `queued` (pg-boss retries). */
  async recordFailedAttempt(
    db: EntityManager,
    job: { invitationId: string; generation: number },
    reason: string,
    now: Date,
  ): Promise<void> {
    await rowsOf(
      db,
      `UPDATE invitations
          SET delivery_status = 'queued', delivery_error = $3, delivery_attempted_at = $4,
              delivery_lease_until = NULL
        WHERE id = $1 AND send_count = $2`,
      [job.invitationId, job.generation, reason, now],
    );
  }

  /** The invitation expired before its email could go out: `failed`, unless already sent. */
  async recordExpiredUnsent(
    db: EntityManager,
    job: { invitationId: string; generation: number },
    now: Date,
  ): Promise<void> {
    await rowsOf(
      db,
      `UPDATE invitations
          SET delivery_status = 'failed',
              delivery_error = 'the invitation expired before its email could be sent',
              delivery_attempted_at = $3, delivery_lease_until = NULL
        WHERE id = $1 AND send_count = $2 AND status = 'pending'
          AND delivery_status IS DISTINCT FROM 'sent'`,
      [job.invitationId, job.generation, now],
    );
  }

  /**
   * Every attempt failed: `failed`, once, unless superseded meanwhile. The last error is kept
   * where the attempts left none (e.g. pg-boss expired the job).
   */
  async recordDeadLetter(
    db: EntityManager,
    job: { invitationId: string; generation: number },
    lastError: string | null,
  ): Promise<Pick<InvitationRow, 'organisationId' | 'email' | 'userId'> | undefined> {
    const [row] = await rowsOf<Pick<InvitationRow, 'organisationId' | 'email' | 'userId'>>(
      db,
      `UPDATE invitations
          SET delivery_status = 'failed', delivery_lease_until = NULL,
              delivery_error = COALESCE(delivery_error, $3)
        WHERE id = $1 AND send_count = $2 AND delivery_status = 'queued'
        RETURNING organisation_id AS "organisationId", email, user_id AS "userId"`,
      [job.invitationId, job.generation, lastError],
    );
    return row;
  }
}
