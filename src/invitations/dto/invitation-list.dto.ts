import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/page-query.dto.js';
import type { DeliveryStatus } from '../invitation.entity.js';
import { DELIVERY_STATUSES } from '../invitation.entity.js';
import { InvitationDto } from './invitation.dto.js';

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

interface ListRow {
  id: string;
  email: string;
  status: 'pending' | 'accepted' | 'revoked' | 'expired';
  user_id: string;
  created_at: Date;
  expires_at: Date | null;
  delivery_status: DeliveryStatus | null;
  last_sent_at: Date | null;
  invited_by: string | null;
  accepted_at: Date | null;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** `expired` is what a pending invitation past its expiry is, whatever the stored state says. */
export function toInvitationListItemDto(row: ListRow, now: Date): InvitationListItemDto {
  const expired = row.status === 'pending' && row.expires_at !== null && row.expires_at <= now;
  return {
    id: row.id,
    email: row.email,
    status: expired ? 'expired' : row.status,
    userId: row.user_id,
    createdAt: row.created_at.toISOString(),
    expiresAt: iso(row.expires_at),
    deliveryStatus: row.delivery_status,
    lastSentAt: iso(row.last_sent_at),
    invitedBy: row.invited_by,
    acceptedAt: iso(row.accepted_at),
  };
}
