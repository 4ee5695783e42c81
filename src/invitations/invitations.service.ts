import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditRecord } from '../audit/audit-log.repository.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { retryOnConflict } from '../database/retry.js';
import { PROBLEM_TYPES, ProblemException } from '../errors/problem.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { InvitationOutbox } from './delivery/invitation-outbox.js';
import { OrganisationMembersRepository } from '../organisations/organisation-members.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { InvitationsRepository, type InvitationSummary } from './invitations.repository.js';

/** An invitation as `inviteUsers` reports it. */
export interface InvitationView {
  id: string;
  email: string;
  userId: string;
  status: 'pending' | 'accepted';
  createdAt: Date;
  expiresAt: Date | null;
}

type InvitationRow = InvitationSummary & { inserted: boolean };

/** The audit rows of an invite request: one per invitation it created or refreshed. */
export function inviteAuditRecords(
  changed: InvitationRow[],
  organisationId: string,
  actorId: string,
  createdAt: Date,
): AuditRecord[] {
  return changed.map((row) => ({
    organisationId,
    actorId,
    type: 'user',
    action: row.inserted ? 'invitation.created' : 'invitation.refreshed',
    refId: row.userId,
    data: { email: row.email, invitationId: row.id },
    createdAt,
  }));
}

/** Trimmed (by the DTO), lowercased, first occurrence kept, request order preserved. */
export function normaliseEmails(emails: string[]): string[] {
  return [...new Set(emails.map((email) => email.toLowerCase()))];
}

@Injectable()
export class InvitationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invitations: InvitationsRepository,
    private readonly users: UsersRepository,
    private readonly members: OrganisationMembersRepository,
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
  async invite(principal: Principal, emails: string[]): Promise<InvitationView[]> {
    const ordered = normaliseEmails(emails);
    // Rows are locked in one global order, so two requests with overlapping lists cannot deadlock.
    const sorted = [...ordered].sort();
    await this.rateLimits.consume('invitations', principal.organisationId, ordered.length);
    let rows: InvitationRow[];
    try {
      rows = await retryOnConflict(() =>
        this.dataSource.transaction((tx) => this.inviteInTransaction(tx, principal, sorted)),
      );
    } catch (error) {
      await this.rateLimits.refund('invitations', principal.organisationId, ordered.length);
      throw error;
    }
    const byEmail = new Map(rows.map((row) => [row.email, row]));
    return ordered.map((email) => toView(byEmail.get(email)!, 'pending'));
  }

  private async inviteInTransaction(
    tx: EntityManager,
    principal: Principal,
    emails: string[],
  ): Promise<InvitationRow[]> {
    const now = this.clock.now();
    const { organisationId } = principal;

    const users = await this.users.upsertByEmail(tx, emails, now);
    // A service account is never invited (and so never accepts, never gets an email).
    const services = users.filter((user) => user.isService).map((user) => user.email);
    if (services.length > 0) {
      throw new ProblemException(409, {
        title: 'Service accounts',
        detail: `Service accounts cannot be invited: ${services.sort().join(', ')}`,
        extensions: { emails: services },
      });
    }
    const userIdByEmail = new Map(users.map((u) => [u.email, u.id]));
    const userIds = emails.map((email) => userIdByEmail.get(email)!);
    await this.members.addInvited(tx, organisationId, userIds, now);

    // Anyone already in the organisation (active or disabled) makes the whole request a conflict.
    const taken = await this.members.membersAmong(tx, organisationId, userIds);
    if (taken.length > 0) {
      throw new ProblemException(409, {
        type: PROBLEM_TYPES.alreadyMembers,
        title: 'Already members',
        detail: `Already members of this organisation: ${taken.join(', ')}`,
        extensions: { emails: taken },
      });
    }

    const { ttlMs, resendCooldownMs } = this.config.invitations;
    // One statement for every address (see INVITATIONS_SQL.upsertPending).
    const changed = await this.invitations.upsertPending(tx, {
      organisationId,
      invitedBy: principal.userId,
      now,
      expiresAt: ttlMs === null ? null : new Date(now.getTime() + ttlMs),
      userIds,
      emails,
      cooldownEdge: new Date(now.getTime() - resendCooldownMs),
    });

    const changedEmails = new Set(changed.map((row) => row.email));
    const unchanged = emails.filter((email) => !changedEmails.has(email));
    const untouched =
      unchanged.length === 0
        ? []
        : await this.invitations.findPending(tx, organisationId, unchanged);

    await this.outbox.enqueue(
      tx,
      ...changed.map((row) => ({ invitationId: row.id, generation: row.sendCount })),
    );
    await this.audit.record(tx, inviteAuditRecords(changed, organisationId, principal.userId, now));
    return [...changed, ...untouched];
  }

  /**
   * Sends the invitation again (always: the cooldown guards only inviteUsers): new expiry, the old
   * link dead at once, a new email queued. 404 when this organisation has no pending (or expired)
   * invitation for the user; 409 when it was accepted.
   */
  async resend(principal: Principal, userId: string): Promise<InvitationView> {
    return this.dataSource.transaction(async (tx) => {
      const now = this.clock.now();
      const { ttlMs } = this.config.invitations;
      const row = await this.invitations.refresh(tx, {
        organisationId: principal.organisationId,
        userId,
        invitedBy: principal.userId,
        expiresAt: ttlMs === null ? null : new Date(now.getTime() + ttlMs),
        now,
      });
      if (!row) throw await this.noPendingInvitation(tx, principal.organisationId, userId);
      await this.outbox.enqueue(tx, { invitationId: row.id, generation: row.sendCount });
      await this.audit.record(tx, [
        {
          organisationId: principal.organisationId,
          actorId: principal.userId,
          type: 'user',
          action: 'invitation.resent',
          refId: userId,
          data: { email: row.email, invitationId: row.id },
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
  async revoke(principal: Principal, userId: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const now = this.clock.now();
      const row = await this.invitations.revoke(tx, principal.organisationId, userId, now);
      if (!row) throw notFound();
      await this.members.removeInvited(tx, principal.organisationId, userId);
      await this.audit.record(tx, [
        {
          organisationId: principal.organisationId,
          actorId: principal.userId,
          type: 'user',
          action: 'invitation.revoked',
          refId: userId,
          data: { email: row.email, invitationId: row.id },
          createdAt: now,
        },
      ]);
    });
  }

  private async noPendingInvitation(
    tx: EntityManager,
    organisationId: string,
    userId: string,
  ): Promise<ProblemException> {
    return (await this.invitations.hasAccepted(tx, organisationId, userId))
      ? new ProblemException(409, { detail: 'This invitation has already been accepted' })
      : notFound();
  }
}

function notFound(): ProblemException {
  return new ProblemException(404, {
    detail: 'This organisation has no pending invitation for that user',
  });
}

export function toView(row: InvitationSummary, status: InvitationView['status']): InvitationView {
  return {
    id: row.id,
    email: row.email,
    userId: row.userId,
    status,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
}
