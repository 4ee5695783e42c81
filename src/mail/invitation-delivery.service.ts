import { Injectable, Logger } from '@nestjs/common';
import { MailerService } from '@nestjs-modules/mailer';
import pLimit, { type LimitFunction } from 'p-limit';
import { AuditService } from '../audit/audit.service.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { Sql } from '../database/sql.js';
import type { InvitationEmailJob } from './invitation-outbox.js';
import { InvitationEmailRenderer } from './invitation-email.renderer.js';
import { newInvitationToken } from './invitation-token.js';
import { coalescingLoader } from './coalescing-loader.js';
import { deliveryLeaseMs } from './mail-queue.js';
import { fullNameSql } from '../users/user-names.js';

/** What one delivery attempt did; anything but `sent` means no email left. */
export type DeliveryOutcome =
  'sent' | 'missing' | 'not-pending' | 'superseded' | 'already-sent' | 'expired';

/** Another worker holds the invitation's lease: this attempt fails and pg-boss retries it later. */
export class DeliveryLeaseHeldError extends Error {
  constructor(invitationId: string) {
    super(`invitation ${invitationId} is being sent by another worker`);
    this.name = 'DeliveryLeaseHeldError';
  }
}

/** MAIL_SEND_TIMEOUT passed before the SMTP peer accepted the message. */
export class SendTimeoutError extends Error {
  constructor(ms: number) {
    super(`the SMTP server did not accept the message within ${ms} ms (MAIL_SEND_TIMEOUT)`);
    this.name = 'TimeoutError';
  }
}

/** The SMTP peer refused or could not be reached; recorded on the invitation, then retried. */
export class DeliveryFailedError extends Error {
  constructor(
    readonly invitationId: string,
    readonly reason: string,
  ) {
    super(`invitation ${invitationId}: ${reason}`);
    this.name = 'DeliveryFailedError';
  }
}

interface Claim {
  email: string;
  organisationName: string;
  inviterEmail: string | null;
  inviterName: string | null;
  expiresAt: Date | null;
  token: string;
}

interface ClaimRequest extends InvitationEmailJob {
  /** The hash of the token this attempt would mail. */
  hash: string;
}

interface ClaimRow {
  email: string;
  expires_at: Date | null;
  organisation_name: string;
  inviter_email: string | null;
  inviter_name: string | null;
}

interface InvitationStateRow {
  status: string;
  send_count: number;
  delivery_status: string | null;
  expires_at: Date | null;
  token_hash: string | null;
  delivery_lease_until: Date | null;
}

const MAX_ERROR_LENGTH = 1000;
/** Pause between attempts to record a sent email while the database does not answer. */
const RECORD_RETRY_MS = 1000;

/** A one-line reason for an operator, from a nodemailer error (code and server reply). */
export function describeSendError(error: unknown, token: string): string {
  const e = error as { code?: unknown; message?: unknown; cause?: unknown };
  let message = typeof e?.message === 'string' ? e.message : String(error);
  // nodemailer's abort error carries the reason (our SendTimeoutError) as its cause.
  if (e?.cause instanceof Error && !message.includes(e.cause.message)) {
    message = `${message}: ${e.cause.message}`;
  }
  const code = typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ` : '';
  // The token never reaches the database outside its hash, not even inside an echoed reply.
  return `${code}${message}`
    .split(token)
    .join('[token]')
    .replace(/\s+/g, ' ')
    .slice(0, MAX_ERROR_LENGTH);
}

/**
 * Sends one invitation email for one job, and records the result on the invitation.
 *
 * 1. Claim (one UPDATE, row locked while it runs): skip unless the invitation is pending, of this
 *    generation (not refreshed since), not expired and not already sent; refuse while another
 *    worker's lease runs; else store the new token's hash and take the lease.
 * 2. Send over SMTP, bounded by MAIL_SEND_TIMEOUT. No transaction or lock is held meanwhile, so a
 *    request refreshing or revoking the invitation never waits for SMTP.
 * 3. Record `sent` (retried within the lease while the database does not answer), or the error
 *    (status stays `queued`) and rethrow so pg-boss retries.
 *
 * A crash after the SMTP peer accepted and before step 3 means the retry sends again with a new
 * token: at most one extra email per such crash, and only the newest link works. After step 3 a
 * repeated job finds `sent` and sends nothing.
 */
@Injectable()
export class InvitationDelivery {
  private readonly logger = new Logger('InvitationDelivery');
  private readonly smtpSlots: LimitFunction;
  /** Claims and sent-records made while one is in flight go out together, one statement each. */
  private readonly claims = coalescingLoader((requests: readonly ClaimRequest[]) =>
    this.claimBatch(requests),
  );
  private readonly sentRecords = coalescingLoader((jobs: readonly InvitationEmailJob[]) =>
    this.recordSentBatch(jobs),
  );

  constructor(
    private readonly sql: Sql,
    private readonly mailer: MailerService,
    private readonly renderer: InvitationEmailRenderer,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    this.smtpSlots = pLimit(config.mail.concurrency);
  }

  async deliver(job: InvitationEmailJob): Promise<DeliveryOutcome> {
    // Wall-clock end of the lease the claim takes (a second early, to stay inside it).
    const leaseEndsAt = Date.now() + deliveryLeaseMs(this.config) - 1000;
    const claim = await this.claim(job);
    if (typeof claim === 'string') {
      this.logger.debug(`invitation ${job.invitationId} (#${job.generation}) not sent: ${claim}`);
      return claim;
    }

    const email = this.renderer.render({
      organisationName: claim.organisationName,
      inviterEmail: claim.inviterEmail,
      inviterName: claim.inviterName,
      expiresAt: claim.expiresAt,
      token: claim.token,
    });
    // At most MAIL_WORKER_CONCURRENCY sends at a time (the SMTP pool's size); the worker runs more
    // jobs than that, so that their claims and records overlap the sends instead of idling a slot.
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.smtpSlots(() => {
        // Not AbortSignal.timeout(): its timer cannot be cancelled, and the reason recorded must
        // name MAIL_SEND_TIMEOUT. The clock starts once a slot is free.
        const timeout = new AbortController();
        timer = setTimeout(
          () => timeout.abort(new SendTimeoutError(this.config.mail.sendTimeoutMs)),
          this.config.mail.sendTimeoutMs,
        );
        const { from } = this.config.mail;
        return this.mailer.sendMail({ from, to: claim.email, ...email, signal: timeout.signal });
      });
    } catch (error) {
      clearTimeout(timer);
      const reason = describeSendError(error, claim.token);
      await this.recordFailedAttempt(job, reason);
      throw new DeliveryFailedError(job.invitationId, reason);
    }
    clearTimeout(timer);
    await this.recordSent(job, leaseEndsAt);
    this.logger.log(`invitation ${job.invitationId} (#${job.generation}) sent to ${claim.email}`);
    return 'sent';
  }

  /**
   * Every attempt of a job failed (pg-boss moved it to the dead-letter queue): the invitation's
   * delivery becomes `failed`, with an audit row, once. A job superseded meanwhile changes nothing.
   */
  async recordDeadLetter(job: InvitationEmailJob, lastError: string | undefined): Promise<boolean> {
    const now = this.clock.now();
    return this.sql.transaction(async (tx) => {
      // The last error is kept where the attempts left none (e.g. pg-boss expired the job).
      const [row] = await tx.query<{ organisation_id: string; email: string }>(
        `UPDATE invitations
            SET delivery_status = 'failed', delivery_lease_until = NULL,
                delivery_error = COALESCE(delivery_error, $3)
          WHERE id = $1 AND send_count = $2 AND delivery_status = 'queued'
          RETURNING organisation_id, email`,
        [job.invitationId, job.generation, lastError ? lastError.slice(0, MAX_ERROR_LENGTH) : null],
      );
      if (!row) return false;
      await this.audit.record(tx, [
        {
          organisationId: row.organisation_id,
          actorId: null,
          action: 'invitation.delivery_failed',
          targetEmail: row.email,
          invitationId: job.invitationId,
          createdAt: now,
        },
      ]);
      this.logger.warn(
        `invitation ${job.invitationId} (#${job.generation}) to ${row.email}: delivery failed for good`,
      );
      return true;
    });
  }

  /**
   * The claim is one statement on the happy path: the UPDATE takes the row lock, re-checks every
   * condition against the newest row version (a refresh or revoke committed meanwhile wins), stores
   * the token's hash, takes the lease, and returns what the email needs (organisation and inviter
   * joined in), rather than a transaction of lock, read, lookups and update per email. Claims
   * made while another is in flight share one statement (`claims`). Only when it claims nothing does a
   * second read say why (and an expired invitation is marked failed).
   */
  private async claim(job: InvitationEmailJob): Promise<Claim | Exclude<DeliveryOutcome, 'sent'>> {
    // A lease that ends between the claim and the classification below: claim again, at most twice.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { token, hash } = newInvitationToken();
      const row = await this.claims.load({
        invitationId: job.invitationId,
        generation: job.generation,
        hash,
      });
      if (row) {
        return {
          email: row.email,
          organisationName: row.organisation_name,
          inviterEmail: row.inviter_email,
          inviterName: row.inviter_name,
          expiresAt: row.expires_at,
          token,
        };
      }
      const skipped = await this.whyNotClaimed(job, this.clock.now());
      if (skipped !== 'claimable') return skipped;
    }
    throw new DeliveryLeaseHeldError(job.invitationId);
  }

  /**
   * Claims several invitations in one UPDATE; each request gets its row, or null when its
   * invitation could not be claimed. Rows are matched by the token hash each request brought, so
   * two requests for one invitation cannot both get it. (Its row locks are taken in the order the
   * rows are joined: a deadlock with a request refreshing the same invitations fails this
   * statement, and its jobs are retried; the request side retries its transaction.)
   */
  private async claimBatch(requests: readonly ClaimRequest[]): Promise<(ClaimRow | null)[]> {
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + deliveryLeaseMs(this.config));
    const claimed = await this.sql.query<ClaimRow & { hash: string }>(
      `UPDATE invitations AS i
          SET token_hash = c.hash, delivery_lease_until = $4
         FROM unnest($1::uuid[], $2::int[], $3::text[]) AS c(id, generation, hash),
              organisations AS o
        WHERE i.id = c.id AND o.id = i.organisation_id
          AND i.status = 'pending' AND i.send_count = c.generation
          AND i.delivery_status IS DISTINCT FROM 'sent'
          AND (i.expires_at IS NULL OR i.expires_at > $5)
          -- a lease only counts while its token is the current one: refreshing clears token_hash
          AND (i.token_hash IS NULL OR i.delivery_lease_until IS NULL
               OR i.delivery_lease_until <= $5)
      RETURNING c.hash, i.email, i.expires_at, o.name AS organisation_name,
                (SELECT u.email FROM users AS u WHERE u.id = i.invited_by) AS inviter_email,
                (SELECT ${fullNameSql('u')} FROM users AS u WHERE u.id = i.invited_by)
                  AS inviter_name`,
      [
        requests.map((r) => r.invitationId),
        requests.map((r) => r.generation),
        requests.map((r) => r.hash),
        leaseUntil,
        now,
      ],
    );
    const byHash = new Map(claimed.map((row) => [row.hash, row]));
    return requests.map((r) => byHash.get(r.hash) ?? null);
  }

  /** Marks invitations sent, several in one UPDATE (see `sentRecords`). */
  private async recordSentBatch(jobs: readonly InvitationEmailJob[]): Promise<true[]> {
    await this.sql.query(
      `UPDATE invitations AS i
          SET delivery_status = 'sent', delivery_error = NULL,
              delivery_attempted_at = $3, delivery_lease_until = NULL
         FROM unnest($1::uuid[], $2::int[]) AS c(id, generation)
        WHERE i.id = c.id AND i.send_count = c.generation`,
      [jobs.map((j) => j.invitationId), jobs.map((j) => j.generation), this.clock.now()],
    );
    return jobs.map(() => true);
  }

  /** Why the claim took nothing; marks an invitation that expired before its email `failed`. */
  private async whyNotClaimed(
    job: InvitationEmailJob,
    now: Date,
  ): Promise<Exclude<DeliveryOutcome, 'sent'> | 'claimable'> {
    const [invitation] = await this.sql.query<InvitationStateRow>(
      `SELECT status, send_count, delivery_status, expires_at, token_hash, delivery_lease_until
         FROM invitations WHERE id = $1`,
      [job.invitationId],
    );
    if (!invitation) return 'missing';
    if (invitation.status !== 'pending') return 'not-pending';
    if (invitation.send_count !== job.generation) return 'superseded';
    if (invitation.delivery_status === 'sent') return 'already-sent';
    if (invitation.expires_at !== null && invitation.expires_at <= now) {
      await this.sql.query(
        `UPDATE invitations
            SET delivery_status = 'failed',
                delivery_error = 'the invitation expired before its email could be sent',
                delivery_attempted_at = $3, delivery_lease_until = NULL
          WHERE id = $1 AND send_count = $2 AND status = 'pending'
            AND delivery_status IS DISTINCT FROM 'sent'`,
        [job.invitationId, job.generation, now],
      );
      return 'expired';
    }
    if (
      invitation.token_hash !== null &&
      invitation.delivery_lease_until !== null &&
      invitation.delivery_lease_until > now
    ) {
      throw new DeliveryLeaseHeldError(job.invitationId);
    }
    return 'claimable';
  }

  /**
   * The SMTP peer has the email: losing this record would send it again once the lease ends. So
   * while the database does not answer (an outage, a restart) it is retried, within the lease.
   */
  private async recordSent(job: InvitationEmailJob, retryUntil: number): Promise<void> {
    for (;;) {
      try {
        await this.sentRecords.load(job);
        return;
      } catch (error) {
        if (Date.now() + RECORD_RETRY_MS > retryUntil) throw error;
        this.logger.warn(
          `invitation ${job.invitationId} (#${job.generation}) sent, not yet recorded (retrying): ${String(error)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS));
      }
    }
  }

  private async recordFailedAttempt(job: InvitationEmailJob, reason: string): Promise<void> {
    await this.sql.query(
      `UPDATE invitations
          SET delivery_status = 'queued', delivery_error = $3, delivery_attempted_at = $4,
              delivery_lease_until = NULL
        WHERE id = $1 AND send_count = $2`,
      [job.invitationId, job.generation, reason, this.clock.now()],
    );
  }
}
