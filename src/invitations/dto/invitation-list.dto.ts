import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/page-query.dto.js';
import type { DeliveryStatus } from '../invitation.entity.js';
import { DELIVERY_STATUSES } from '../invitation.entity.js';
import { InvitationDto } from './invitation.dto.js';
import { isExpired } from '../invitation-expiry.js';
import type { InvitationRow } from '../invitations.repository.js';

export const LIST_STATUSES = ['pending', 'accepted', 'revoked', 'expired'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

/** Query of `GET /api/invitations` (listInvitations). */
export class ListInvitationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'Case-insensitive part of the email address',
    maxLength: 254,
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  // No address holds control characters, and PostgreSQL text cannot hold NUL at all.
  // eslint-disable-next-line no-control-regex
  @Matches(/^[^\u0000-\u001f\u007f]*$/, { message: 'search must not contain control characters' })
  search?: string;

  @ApiPropertyOptional({
    enum: LIST_STATUSES,
    description: 'Only invitations in this state; expired = pending past its expiry',
  })
  @IsOptional()
  @IsIn(LIST_STATUSES)
  status?: ListStatus;
}

/** An invitation as listed: the inviteUsers fields plus delivery and acceptance details. */
export class InvitationListItemDto extends OmitType(InvitationDto, ['status'] as const) {
  // Listing also shows what inviteUsers never returns: revoked and expired invitations.
  @ApiProperty({
    type: 'string',
    enum: LIST_STATUSES,
    description: 'Current status of the invitation',
  })
  status!: ListStatus;

  // Always present here (null when it never expires), unlike in the inviteUsers contract.
  @ApiProperty({
    type: 'string',
    nullable: true,
    required: true,
    description: 'Timestamp when the invitation expires',
  })
  override expiresAt!: string | null;

  @ApiProperty({
    type: 'string',
    enum: DELIVERY_STATUSES,
    nullable: true,
    description: 'State of the latest invitation email',
  })
  deliveryStatus!: DeliveryStatus | null;

  @ApiProperty({ type: 'string', nullable: true, description: 'When the latest email was queued' })
  lastSentAt!: string | null;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true, description: 'Who invited' })
  invitedBy!: string | null;

  @ApiProperty({ type: 'string', nullable: true, description: 'When the invitation was accepted' })
  acceptedAt!: string | null;
}

export class InvitationPageDto {
  @ApiProperty({ type: [InvitationListItemDto], description: 'Invitations, newest first' })
  items!: InvitationListItemDto[];

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Pass as cursor for the next page; null on the last',
  })
  nextCursor!: string | null;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function toInvitationListItemDto(row: InvitationRow, now: Date): InvitationListItemDto {
  return {
    id: row.id,
    email: row.email,
    status: isExpired(row, now) ? 'expired' : row.status,
    userId: row.userId,
    createdAt: row.createdAt.toISOString(),
    expiresAt: iso(row.expiresAt),
    deliveryStatus: row.deliveryStatus,
    lastSentAt: iso(row.lastSentAt),
    invitedBy: row.invitedBy,
    acceptedAt: iso(row.acceptedAt),
  };
}
