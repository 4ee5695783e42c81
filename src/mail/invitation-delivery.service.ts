import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { Invitation } from '../invitations/invitation.entity.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { User } from '../users/user.entity.js';
import type { InvitationEmailJob } from './invitation-outbox.js';
import { InvitationEmailRenderer } from './invitation-email.renderer.js';
import { newInvitationToken } from './invitation-token.js';
import { deliveryLeaseMs } from './mail-queue.js';
import { Mailer } from './mailer.js';

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
  expiresAt: Date | null;
  token: string;
}

const MAX_ERROR_LENGTH = 1000;
/** Pause between attempts to record a sent email while the database does not answer. */
const RECORD_RETRY_MS = 1000;

/** A one-line reason for an operator, from a nodemailer error (code and server reply). */
export function describeSendError(error: unknown, token: string): string {
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);
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
 * 1. Claim (one short transaction, row locked): skip unless the invitation is pending, of this
 *    generation (not refreshed since), not expired and not already sent; refuse while another
 *    worker's lease runs; else generate the token, store only its hash, take the lease, commit.
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

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly mailer: Mailer,
    private readonly renderer: InvitationEmailRenderer,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async deliver(job: InvitationEmailJob): Promise<DeliveryOutcome> {
    // Wall-clock end of the lease the claim takes (a second early, to stay inside it).
    const leaseEndsAt = Date.now() + deliveryLeaseMs(this.config) - 1000;
    const claim = await this.dataSource.transaction((manager) => this.claim(manager, job));
    if (typeof claim === 'string') {
      this.logger.debug(`invitation ${job.invitationId} (#${job.generation}) not sent: ${claim}`);
      return claim;
    }

    const email = this.renderer.render({
      organisationName: claim.organisationName,
      inviterEmail: claim.inviterEmail,
      expiresAt: claim.expiresAt,
      token: claim.token,
    });
    try {
      await this.mailer.send(
        { to: claim.email, subject: email.subject, html: email.html, text: email.text },
        AbortSignal.timeout(this.config.mail.sendTimeoutMs),
      );
    } catch (error) {
      const reason = describeSendError(error, claim.token);
      await this.recordFailedAttempt(job, reason);
      throw new DeliveryFailedError(job.invitationId, reason);
    }
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
    return this.dataSource.transaction(async (manager) => {
      const updated = (
        await manager
          .createQueryBuilder()
          .update(Invitation)
          .set({ deliveryStatus: 'failed', deliveryLeaseUntil: null })
          .where('id = :id AND send_count = :generation AND delivery_status = :queued', {
            id: job.invitationId,
            generation: job.generation,
            queued: 'queued',
          })
          .returning(['organisationId', 'email', 'deliveryError'])
          .execute()
      ).raw as { organisation_id: string; email: string; delivery_error: string | null }[];
      if (updated.length === 0) return false;
      const [row] = updated;
      if (row.delivery_error === null && lastError) {
        await manager.update(
          Invitation,
          { id: job.invitationId },
          { deliveryError: lastError.slice(0, MAX_ERROR_LENGTH) },
        );
      }
      await this.audit.record(manager, [
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

  private async claim(
    manager: EntityManager,
    job: InvitationEmailJob,
  ): Promise<Claim | Exclude<DeliveryOutcome, 'sent'>> {
    const invitation = await manager
      .createQueryBuilder(Invitation, 'i')
      .setLock('pessimistic_write')
      .where('i.id = :id', { id: job.invitationId })
      .getOne();
    if (!invitation) return 'missing';
    if (invitation.status !== 'pending') return 'not-pending';
    if (invitation.sendCount !== job.generation) return 'superseded';
    if (invitation.deliveryStatus === 'sent') return 'already-sent';

    const now = this.clock.now();
    if (invitation.expiresAt !== null && invitation.expiresAt <= now) {
      await manager.update(
        Invitation,
        { id: invitation.id },
        {
          deliveryStatus: 'failed',
          deliveryError: 'the invitation expired before its email could be sent',
          deliveryAttemptedAt: now,
          deliveryLeaseUntil: null,
        },
      );
      return 'expired';
    }
    // A lease only counts while its token is the current one: refreshing clears token_hash.
    if (
      invitation.tokenHash !== null &&
      invitation.deliveryLeaseUntil !== null &&
      invitation.deliveryLeaseUntil > now
    ) {
      throw new DeliveryLeaseHeldError(invitation.id);
    }

    const organisation = await manager.findOne(Organisation, {
      where: { id: invitation.organisationId },
      select: { id: true, name: true },
    });
    const inviter =
      invitation.invitedBy === null
        ? null
        : await manager.findOne(User, {
            where: { id: invitation.invitedBy },
            select: { id: true, email: true },
          });

    const { token, hash } = newInvitationToken();
    await manager.update(
      Invitation,
      { id: invitation.id },
      {
        tokenHash: hash,
        deliveryLeaseUntil: new Date(now.getTime() + deliveryLeaseMs(this.config)),
      },
    );
    return {
      email: invitation.email,
      organisationName: organisation?.name ?? '',
      inviterEmail: inviter?.email ?? null,
      expiresAt: invitation.expiresAt,
      token,
    };
  }

  /**
   * The SMTP peer has the email: losing this record would send it again once the lease ends. So
   * while the database does not answer (an outage, a restart) it is retried, within the lease.
   */
  private async recordSent(job: InvitationEmailJob, retryUntil: number): Promise<void> {
    for (;;) {
      try {
        await this.dataSource.getRepository(Invitation).update(
          { id: job.invitationId, sendCount: job.generation },
          {
            deliveryStatus: 'sent',
            deliveryError: null,
            deliveryAttemptedAt: this.clock.now(),
            deliveryLeaseUntil: null,
          },
        );
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
    await this.dataSource.getRepository(Invitation).update(
      { id: job.invitationId, sendCount: job.generation },
      {
        deliveryStatus: 'queued',
        deliveryError: reason,
        deliveryAttemptedAt: this.clock.now(),
        deliveryLeaseUntil: null,
      },
    );
  }
}
