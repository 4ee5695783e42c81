import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { Clock } from '../common/clock.js';
import { Sql } from '../database/sql.js';
import { ProblemException } from '../errors/problem.js';
import { hashInvitationToken } from '../mail/invitation-token.js';
import type { InvitationStatus } from './invitation.entity.js';
import type { InvitationView } from './invitations.service.js';
import { fullNameSql } from '../users/user-names.js';

interface LockedInvitation {
  id: string;
  organisation_id: string;
  user_id: string;
  email: string;
  status: InvitationStatus;
  created_at: Date;
  expires_at: Date | null;
}

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
    private readonly sql: Sql,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** The invitation a token opens, or undefined for an unknown (or revoked, or replaced) token. */
  async preview(token: string): Promise<InvitationPreview | undefined> {
    const [row] = await this.sql.query<{
      status: InvitationStatus;
      expires_at: Date | null;
      organisation_name: string;
      inviter_email: string | null;
      inviter_name: string | null;
    }>(
      `SELECT i.status, i.expires_at, o.name AS organisation_name, u.email AS inviter_email,
              ${fullNameSql('u')} AS inviter_name
         FROM invitations i
         JOIN organisations o ON o.id = i.organisation_id
         LEFT JOIN users u ON u.id = i.invited_by
        WHERE i.token_hash = $1`,
      [hashInvitationToken(token)],
    );
    if (!row || row.status === 'revoked') return undefined;
    return {
      status: row.status,
      expiresAt: row.expires_at,
      organisationName: row.organisation_name,
      inviterEmail: row.inviter_email,
      inviterName: row.inviter_name,
      expired:
        row.status === 'expired' || (row.expires_at !== null && row.expires_at <= this.clock.now()),
    };
  }

  /**
   * Single use and atomic: the invitation row is locked, so of two concurrent accepts one wins and
   * the other sees `accepted` (409). Unknown or revoked (its hash cleared) → 404; expired → 410.
   */
  async accept(token: string, requestId?: string): Promise<InvitationView> {
    return this.sql.transaction(async (tx) => {
      const now = this.clock.now();
      const [invitation] = await tx.query<LockedInvitation>(
        `SELECT id, organisation_id, user_id, email, status, created_at, expires_at
           FROM invitations WHERE token_hash = $1 FOR UPDATE`,
        [hashInvitationToken(token)],
      );
      if (!invitation || invitation.status === 'revoked') {
        throw new ProblemException(404, { detail: 'This invitation link is not valid' });
      }
      if (invitation.status === 'accepted') {
        throw new ProblemException(409, { detail: 'This invitation has already been accepted' });
      }
      if (
        invitation.status === 'expired' ||
        (invitation.expires_at !== null && invitation.expires_at <= now)
      ) {
        throw new ProblemException(410, {
          detail: 'This invitation has expired; ask for a new one',
        });
      }
      await tx.query(`UPDATE invitations SET status = 'accepted', accepted_at = $2 WHERE id = $1`, [
        invitation.id,
        now,
      ]);
      await tx.query(
        `UPDATE organisation_members SET type = 'member', updated_at = $3
          WHERE organisation_id = $1 AND user_id = $2 AND type = 'invited'`,
        [invitation.organisation_id, invitation.user_id, now],
      );
      await this.audit.record(tx, [
        {
          organisationId: invitation.organisation_id,
          actorId: invitation.user_id,
          action: 'invitation.accepted',
          targetEmail: invitation.email,
          invitationId: invitation.id,
          requestId: requestId ?? null,
          createdAt: now,
        },
      ]);
      return {
        id: invitation.id,
        email: invitation.email,
        userId: invitation.user_id,
        status: 'accepted',
        createdAt: invitation.created_at,
        expiresAt: invitation.expires_at,
      };
    });
  }
}
