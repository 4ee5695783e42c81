import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { Clock } from '../common/clock.js';
import { ProblemException } from '../errors/problem.js';
import { OrganisationMembersRepository } from '../organisations/organisation-members.repository.js';
import type { InvitationStatus } from './invitation.entity.js';
import { isExpired } from './invitation-expiry.js';
import { hashInvitationToken } from './invitation-token.js';
import { InvitationsRepository } from './invitations.repository.js';
import { toView, type InvitationView } from './invitations.service.js';

/** What the accept page shows before the invitee decides. */
export interface InvitationPreview {
  status: InvitationStatus;
  expiresAt: Date | null;
  organisationName: string;
  inviterEmail: string | null;
  inviterName: string | null;
  /** Pending but past its expiry. */
  expired: boolean;
}

/** Accepting an invitation with the token from its email. */
@Injectable()
export class InvitationAcceptanceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invitations: InvitationsRepository,
    private readonly members: OrganisationMembersRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** The invitation a token opens, or undefined for an unknown (or revoked, or replaced) token. */
  async preview(token: string): Promise<InvitationPreview | undefined> {
    const row = await this.invitations.findByTokenHash(
      this.dataSource.manager,
      hashInvitationToken(token),
    );
    if (!row || row.status === 'revoked') return undefined;
    return {
      status: row.status,
      expiresAt: row.expiresAt,
      organisationName: row.organisationName,
      inviterEmail: row.inviterEmail,
      inviterName: row.inviterName,
      expired: isExpired(row, this.clock.now()),
    };
  }

  /**
   * Single use and atomic: the invitation row is locked, so of two concurrent accepts one wins and
   * the other sees `accepted` (409). Unknown or revoked (its hash cleared) → 404; expired → 410.
   */
  async accept(token: string): Promise<InvitationView> {
    return this.dataSource.transaction(async (tx) => {
      const now = this.clock.now();
      const invitation = await this.invitations.lockByTokenHash(tx, hashInvitationToken(token));
      if (!invitation || invitation.status === 'revoked') {
        throw new ProblemException(404, { detail: 'This invitation link is not valid' });
      }
      if (invitation.status === 'accepted') {
        throw new ProblemException(409, { detail: 'This invitation has already been accepted' });
      }
      if (isExpired(invitation, now)) {
        throw new ProblemException(410, {
          detail: 'This invitation has expired; ask for a new one',
        });
      }
      await this.invitations.markAccepted(tx, invitation.id, now);
      await this.members.promoteInvited(tx, invitation.organisationId, invitation.userId, now);
      await this.audit.record(tx, [
        {
          organisationId: invitation.organisationId,
          actorId: invitation.userId,
          type: 'user',
          action: 'invitation.accepted',
          refId: invitation.userId,
          data: { email: invitation.email, invitationId: invitation.id },
          createdAt: now,
        },
      ]);
      return toView(invitation, 'accepted');
    });
  }
}
