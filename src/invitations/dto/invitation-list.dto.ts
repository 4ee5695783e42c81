import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { DeliveryStatus } from '../invitation.entity.js';
import { DELIVERY_STATUSES } from '../invitation.entity.js';

export const LIST_STATUSES = ['pending', 'accepted', 'revoked', 'expired'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

/** Query of `GET /api/invitations` (listInvitations). */
export class ListInvitationsQueryDto {
  @ApiPropertyOptional({
    description: 'Case-insensitive part of the email address',
    maxLength: 254,
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  search?: string;

  @ApiPropertyOptional({
    enum: LIST_STATUSES,
    description: 'Only invitations in this state; expired = pending past its expiry',
  })
  @IsOptional()
  @IsIn(LIST_STATUSES)
  status?: ListStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20, description: 'Page size' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

/** An invitation as listed: the inviteUsers fields plus delivery and acceptance details. */
export class InvitationListItemDto {
  @ApiProperty({
    type: 'string',
    format: 'uuid',
    description: 'Unique identifier of the invitation',
  })
  id!: string;

  @ApiProperty({
    type: 'string',
    format: 'email',
    description: 'Email address the invitation was sent to',
  })
  email!: string;

  @ApiProperty({
    type: 'string',
    enum: LIST_STATUSES,
    description: 'Current status of the invitation',
  })
  status!: ListStatus;

  @ApiProperty({
    type: 'string',
    format: 'uuid',
    description: 'ID of the user associated with this invitation',
  })
  userId!: string;

  @ApiProperty({ type: 'string', description: 'Timestamp when the invitation was created' })
  createdAt!: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Timestamp when the invitation expires',
  })
  expiresAt!: string | null;

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
