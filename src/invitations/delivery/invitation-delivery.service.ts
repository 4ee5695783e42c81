import { Injectable, Logger } from '@nestjs/common';
import { MailerService } from '@nestjs-modules/mailer';
import pLimit, { type LimitFunction } from 'p-limit';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '../../audit/audit.service.js';
import { Clock } from '../../common/clock.js';
import { AppConfig } from '../../config/app-config.js';
import { isExpired } from '../invitation-expiry.js';
import { newInvitationToken } from '../invitation-token.js';
import { InvitationsRepository, type InvitationWithNames } from '../invitations.repository.js';
import { coalescingLoader } from './coalescing-loader.js';
import { InvitationEmailRenderer } from './invitation-email.renderer.js';
import { deliveryLeaseMs, type InvitationEmailJob } from './invitation-outbox.js';

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

interface Claim extends InvitationWithNames {
  token: string;
}

interface ClaimRequest extends InvitationEmailJob {
  /** The hash of the token this attempt would mail. */
  hash: string;
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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invitations: InvitationsRepository,
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
    return this.dataSource.transaction(async (tx) => {
      const row = await this.invitations.recordDeadLetter(
        tx,
        job,
        lastError ? lastError.slice(0, MAX_ERROR_LENGTH) : null,
      );
      if (!row) return false;
      await this.audit.record(tx, [
        {
          organisationId: row.organisationId,
          actorId: null,
          type: 'user',
          action: 'invitation.delivery_failed',
          refId: row.userId,
          data: { email: row.email, invitationId: job.invitationId },
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
      if (row) return { ...row, token };
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
  private async claimBatch(
    requests: readonly ClaimRequest[],
  ): Promise<(InvitationWithNames | null)[]> {
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + deliveryLeaseMs(this.config));
    const claimed = await this.invitations.claim(
      this.dataSource.manager,
      requests,
      leaseUntil,
      now,
    );
    return requests.map((r) => claimed.get(r.hash) ?? null);
  }

  /** Marks invitations sent, several in one UPDATE (see `sentRecords`). */
  private async recordSentBatch(jobs: readonly InvitationEmailJob[]): Promise<true[]> {
    await this.invitations.recordSent(this.dataSource.manager, jobs, this.clock.now());
    return jobs.map(() => true);
  }

  /** Why the claim took nothing; marks an invitation that expired before its email `failed`. */
  private async whyNotClaimed(
    job: InvitationEmailJob,
    now: Date,
  ): Promise<Exclude<DeliveryOutcome, 'sent'> | 'claimable'> {
    const invitation = await this.invitations.deliveryState(
      this.dataSource.manager,
      job.invitationId,
    );
    if (!invitation) return 'missing';
    if (invitation.status !== 'pending') return 'not-pending';
    if (invitation.sendCount !== job.generation) return 'superseded';
    if (invitation.deliveryStatus === 'sent') return 'already-sent';
    if (isExpired(invitation, now)) {
      await this.invitations.recordExpiredUnsent(this.dataSource.manager, job, now);
      return 'expired';
    }
    if (
      invitation.tokenHash !== null &&
      invitation.deliveryLeaseUntil !== null &&
      invitation.deliveryLeaseUntil > now
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
    await this.invitations.recordFailedAttempt(
      this.dataSource.manager,
      job,
      reason,
      this.clock.now(),
    );
  }
}
