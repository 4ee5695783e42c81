import { Injectable } from '@nestjs/common';
import { AuditService, type AuditRecord } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { retryOnConflict } from '../database/retry.js';
import { Sql, type SqlTransaction } from '../database/sql.js';
import { PROBLEM_TYPES, ProblemException } from '../errors/problem.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { InvitationOutbox } from '../mail/invitation-outbox.js';

/** An invitation as `inviteUsers` reports it. */
export interface InvitationView {
  id: string;
  email: string;
  userId: string;
  status: 'pending' | 'accepted';
  createdAt: Date;
  expiresAt: Date | null;
}

interface InvitationRow {
  id: string;
  email: string;
  user_id: string;
  created_at: Date;
  expires_at: Date | null;
  send_count: number;
  inserted: boolean;
}

/** Trimmed (by the DTO), lowercased, first occurrence kept, request order preserved. */
export function normaliseEmails(emails: string[]): string[] {
  return [...new Set(emails.map((email) => email.toLowerCase()))];
}

@Injectable()
export class InvitationsService {
  constructor(
    private readonly sql: Sql,
    private readonly outbox: InvitationOutbox,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly rateLimits: RateLimitService,
  ) {}

  /**
   * Invites every address into the caller's organisation in one transaction: creates the user,
   * an `invited` membership and a pending invitation, or refreshes the pending invitation that
   * exists, and queues its email through the outbox. Concurrent requests are settled by the
   * database (row locks and ON CONFLICT on the one-pending-per-address index).
   */
  async invite(
    principal: Principal,
    emails: string[],
    requestId?: string,
  ): Promise<InvitationView[]> {
    const ordered = normaliseEmails(emails);
    // Rows are locked in one global order, so two requests with overlapping lists cannot deadlock.
    const sorted = [...ordered].sort();
    await this.rateLimits.consume('invitations', principal.organisationId, ordered.length);
    let rows: InvitationRow[];
    try {
      rows = await retryOnConflict(() =>
        this.sql.transaction((tx) => this.inviteInTransaction(tx, principal, sorted, requestId)),
      );
    } catch (error) {
      await this.rateLimits.refund('invitations', principal.organisationId, ordered.length);
      throw error;
    }
    const byEmail = new Map(rows.map((row) => [row.email, row]));
    return ordered.map((email) => toView(byEmail.get(email)!, 'pending'));
  }

  private async inviteInTransaction(
    tx: SqlTransaction,
    principal: Principal,
    emails: string[],
    requestId: string | undefined,
  ): Promise<InvitationRow[]> {
    const now = this.clock.now();
    const { organisationId } = principal;

    // Raw SQL with array parameters: one statement text whatever the number of addresses, and no
    // query building per request; run through Sql, not the EntityManager (see Sql).

    // Users: one row per person across organisations. DO UPDATE (a no-op) rather than DO NOTHING
    // so every row comes back, and so concurrent invites of the same person queue behind its lock.
    const users = await tx.query<{ id: string; email: string }>(
      `INSERT INTO users (email, created_at)
       SELECT v.email, $2 FROM unnest($1::text[]) AS v(email)
       ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email
       RETURNING id, email`,
      [emails, now],
    );
    const userIdByEmail = new Map(users.map((u) => [u.email, u.id]));
    const userIds = emails.map((email) => userIdByEmail.get(email)!);

    await tx.query(
      `INSERT INTO organisation_members (organisation_id, user_id, type, status, created_at, updated_at)
       SELECT $1, v.user_id, 'invited', 'active', $3, $3 FROM unnest($2::uuid[]) AS v(user_id)
       ON CONFLICT DO NOTHING`,
      [organisationId, userIds, now],
    );

    // Anyone already in the organisation (active or disabled) makes the whole request a conflict.
    const members = await tx.query<{ email: string }>(
      `SELECT u.email FROM organisation_members m JOIN users u ON u.id = m.user_id
        WHERE m.organisation_id = $1 AND m.user_id = ANY($2::uuid[]) AND m.type <> 'invited'
        ORDER BY u.email
          FOR SHARE`,
      [organisationId, userIds],
    );
    if (members.length > 0) {
      const taken = members.map((m) => m.email);
      throw new ProblemException(409, {
        type: PROBLEM_TYPES.alreadyMembers,
        title: 'Already members',
        detail: `Already members of this organisation: ${taken.join(', ')}`,
        extensions: { emails: taken },
      });
    }

    const { ttlMs, resendCooldownMs } = this.config.invitations;
    const expiresAt = ttlMs === null ? null : new Date(now.getTime() + ttlMs);
    const cooldownEdge = new Date(now.getTime() - resendCooldownMs);

    // One statement for every address: insert a pending invitation, or refresh the pending one
    // (new expiry, link cleared until the worker mails a new token) unless its last email was
    // queued within the cooldown and it has not expired — then it is left exactly as it is.
    // (TypeORM's orUpdate could not express `send_count + 1` or a conditional update anyway.)
    const changed = await tx.query<InvitationRow>(
      `INSERT INTO invitations AS i
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
         WHERE i.last_sent_at IS NULL
            OR i.last_sent_at <= $7
            OR (i.expires_at IS NOT NULL AND i.expires_at <= $3)
       RETURNING i.id, i.email, i.user_id, i.created_at, i.expires_at, i.send_count,
                 (i.xmax = 0) AS inserted`,
      [organisationId, principal.userId, now, expiresAt, userIds, emails, cooldownEdge],
    );

    const changedEmails = new Set(changed.map((row) => row.email));
    const unchanged = emails.filter((email) => !changedEmails.has(email));
    const untouched =
      unchanged.length === 0
        ? []
        : await tx.query<InvitationRow>(
            `SELECT id, email, user_id, created_at, expires_at, send_count, false AS inserted
               FROM invitations
              WHERE organisation_id = $1 AND email = ANY($2::text[]) AND status = 'pending'`,
            [organisationId, unchanged],
          );

    await this.outbox.enqueue(
      tx,
      ...changed.map((row) => ({ invitationId: row.id, generation: row.send_count })),
    );
    await this.audit.record(
      tx,
      changed.map((row): AuditRecord => ({
        organisationId,
        actorId: principal.userId,
        action: row.inserted ? 'invitation.created' : 'invitation.refreshed',
        targetEmail: row.email,
        invitationId: row.id,
        requestId: requestId ?? null,
        createdAt: now,
      })),
    );
    return [...changed, ...untouched];
  }

  /**
   * Sends the invitation again (always: the cooldown guards only inviteUsers): new expiry, the old
   * link dead at once, a new email queued. 404 when this organisation has no pending (or expired)
   * invitation for the user; 409 when it was accepted.
   */
  async resend(principal: Principal, userId: string, requestId?: string): Promise<InvitationView> {
    return this.sql.transaction(async (tx) => {
      const now = this.clock.now();
      const { ttlMs } = this.config.invitations;
      const [row] = await tx.query<InvitationRow>(
        `UPDATE invitations
            SET token_hash = NULL, invited_by = $3, expires_at = $4, last_sent_at = $5,
                send_count = send_count + 1, delivery_status = 'queued', delivery_error = NULL
          WHERE organisation_id = $1 AND user_id = $2 AND status = 'pending'
          RETURNING id, email, user_id, created_at, expires_at, send_count, false AS inserted`,
        [
          principal.organisationId,
          userId,
          principal.userId,
          ttlMs === null ? null : new Date(now.getTime() + ttlMs),
          now,
        ],
      );
      if (!row) throw await this.noPendingInvitation(tx, principal.organisationId, userId);
      await this.outbox.enqueue(tx, { invitationId: row.id, generation: row.send_count });
      await this.audit.record(tx, [
        {
          organisationId: principal.organisationId,
          actorId: principal.userId,
          action: 'invitation.resent',
          targetEmail: row.email,
          invitationId: row.id,
          requestId: requestId ?? null,
          createdAt: now,
        },
      ]);
      return toView(row, 'pending');
    });
  }

  /**
   * Withdraws a pending invitation: the link dies, a queued email is not sent (the worker re-reads
   * the status), and the `invited` membership goes. 404 when nothing is pending.
   */
  async revoke(principal: Principal, userId: string, requestId?: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const now = this.clock.now();
      const [row] = await tx.query<{ id: string; email: string }>(
        // A queued email will not go out (the worker skips revoked invitations): say so.
        `UPDATE invitations SET status = 'revoked', revoked_at = $3, token_hash = NULL,
                delivery_status = CASE WHEN delivery_status = 'queued' THEN NULL ELSE delivery_status END
          WHERE organisation_id = $1 AND user_id = $2 AND status = 'pending'
          RETURNING id, email`,
        [principal.organisationId, userId, now],
      );
      if (!row) throw notFound();
      await tx.query(
        `DELETE FROM organisation_members
          WHERE organisation_id = $1 AND user_id = $2 AND type = 'invited'`,
        [principal.organisationId, userId],
      );
      await this.audit.record(tx, [
        {
          organisationId: principal.organisationId,
          actorId: principal.userId,
          action: 'invitation.revoked',
          targetEmail: row.email,
          invitationId: row.id,
          requestId: requestId ?? null,
          createdAt: now,
        },
      ]);
    });
  }

  private async noPendingInvitation(
    tx: SqlTransaction,
    organisationId: string,
    userId: string,
  ): Promise<ProblemException> {
    const accepted = await tx.query(
      `SELECT 1 FROM invitations
        WHERE organisation_id = $1 AND user_id = $2 AND status = 'accepted' LIMIT 1`,
      [organisationId, userId],
    );
    return accepted.length > 0
      ? new ProblemException(409, { detail: 'This invitation has already been accepted' })
      : notFound();
  }
}

function notFound(): ProblemException {
  return new ProblemException(404, {
    detail: 'This organisation has no pending invitation for that user',
  });
}

function toView(row: InvitationRow, status: InvitationView['status']): InvitationView {
  return {
    id: row.id,
    email: row.email,
    userId: row.user_id,
    status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
