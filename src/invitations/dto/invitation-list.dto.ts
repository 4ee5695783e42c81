import { ApiProperty, ApiPropertyOptional, ApiSchema, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '../../common/page-query.dto.js';
import {
  MEMBER_STATUSES,
  MEMBER_TYPES,
  type MemberStatus,
  type MemberType,
} from '../../organisations/organisation-member.entity.js';
import type { DeliveryStatus } from '../invitation.entity.js';
import { DELIVERY_STATUSES } from '../invitation.entity.js';
import type { InvitationListRow } from '../invitation-list.repository.js';

/**
 * GoRules' statuses. A revoked invitation is not listed, and one past its expiry stays `pending`
 * with its past `expiresAt`: a client generated from GoRules' document never meets another value.
 */
export const LIST_STATUSES = ['pending', 'accepted'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

/** GoRules' user status enum, the members' own. */
const USER_STATUSES = MEMBER_STATUSES;

export const DEFAULT_PER_PAGE = 10;
/** The cap on `perPage`: larger is a 400 naming the field, not a silent clamp. */
export const MAX_PER_PAGE = 100;
/** Keeps `(page - 1) * perPage` an exact integer that PostgreSQL takes as an OFFSET. */
const MAX_PAGE = 2_147_483_647;

/**
 * Query of `GET /api/invitations` (listInvitations), as GoRules declares it, plus the keyset
 * `cursor` for deep pages.
 */
export class ListInvitationsQueryDto extends PickType(PageQueryDto, ['cursor'] as const) {
  @ApiPropertyOptional({
    maxLength: 254,
    description: 'Search term to filter invitations by email',
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  // No address holds control characters, and PostgreSQL text cannot hold NUL at all.
  // eslint-disable-next-line no-control-regex
  @Matches(/^[^\u0000-\u001f\u007f]*$/, { message: 'search must not contain control characters' })
  search?: string;

  @ApiPropertyOptional({
    type: 'string',
    enum: LIST_STATUSES,
    description: 'Filter invitations by status',
  })
  @IsOptional()
  @IsIn(LIST_STATUSES)
  status?: ListStatus;

  @ApiPropertyOptional({ type: 'number', default: 1, minimum: 1, description: 'Current page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page?: number;

  @ApiPropertyOptional({
    type: 'number',
    default: DEFAULT_PER_PAGE,
    minimum: 1,
    maximum: MAX_PER_PAGE,
    description: 'Number of items per page',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PER_PAGE)
  perPage?: number;
}

/**
 * A user as an invitation names it (GoRules' shape). `type` and `status` are the user's
 * membership of the organisation: `invited` and `active` until the invitation is accepted.
 */
export class InvitationUserDto {
  @ApiPropertyOptional({ type: 'string', format: 'uuid' })
  id!: string;

  @ApiPropertyOptional({ type: 'string', format: 'email' })
  email!: string;

  @ApiPropertyOptional({ type: 'string', nullable: true })
  firstName!: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true })
  lastName!: string | null;

  @ApiPropertyOptional({ type: 'string', enum: MEMBER_TYPES })
  type!: MemberType;

  @ApiPropertyOptional({ type: 'string', enum: USER_STATUSES })
  status!: MemberStatus;
}

export class InvitationOrganisationDto {
  @ApiPropertyOptional({ type: 'string', format: 'uuid' })
  id!: string;

  @ApiPropertyOptional({ type: 'string' })
  name!: string;
}

/**
 * An invitation as listed: GoRules' fields (none declared required there, so none here), plus the
 * state of its latest email. `createdBy` is absent when the inviter is unknown or no longer a
 * member of the organisation.
 */
export class InvitationListItemDto {
  @ApiPropertyOptional({ type: 'string', format: 'uuid' })
  id!: string;

  @ApiPropertyOptional({ type: 'string', format: 'email' })
  email!: string;

  @ApiPropertyOptional({ type: 'string', nullable: true })
  expiresAt!: string | null;

  @ApiPropertyOptional({ type: 'string' })
  createdAt!: string;

  @ApiPropertyOptional({ type: 'string', nullable: true })
  acceptedAt!: string | null;

  @ApiPropertyOptional({ type: 'string', enum: LIST_STATUSES })
  status!: ListStatus;

  @ApiPropertyOptional({ type: () => InvitationUserDto })
  createdBy?: InvitationUserDto;

  @ApiPropertyOptional({ type: () => InvitationUserDto })
  user!: InvitationUserDto;

  @ApiPropertyOptional({ type: () => InvitationOrganisationDto })
  organisation!: InvitationOrganisationDto;

  @ApiPropertyOptional({
    type: 'string',
    enum: DELIVERY_STATUSES,
    nullable: true,
    description: 'State of the latest invitation email',
  })
  deliveryStatus!: DeliveryStatus | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    description: 'When the latest email was queued',
  })
  lastSentAt!: string | null;
}

/**
 * Where a page lies in the whole list: `current` is the page number, `pageSize` the page size,
 * `from` and `to` the 1-based positions of its first and last item (both 0 on an empty page),
 * `total` the number of invitations that match.
 */
@ApiSchema({ description: 'Pagination metadata' })
export class PaginateDto {
  @ApiPropertyOptional({ type: 'number' })
  current!: number;

  @ApiPropertyOptional({ type: 'number' })
  from!: number;

  @ApiPropertyOptional({ type: 'number' })
  to!: number;

  @ApiPropertyOptional({ type: 'number' })
  total!: number;

  @ApiPropertyOptional({ type: 'number' })
  pageSize!: number;
}

@ApiSchema({ description: 'Paginated list of invitations' })
export class InvitationListDto {
  @ApiProperty({ type: () => [InvitationListItemDto], description: 'List of invitations' })
  results!: InvitationListItemDto[];

  @ApiProperty({ type: () => PaginateDto })
  paginate!: PaginateDto;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    description: 'Pass as cursor for the page after this one; null on the last',
  })
  nextCursor!: string | null;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function toInvitationListItemDto(row: InvitationListRow): InvitationListItemDto {
  return {
    id: row.id,
    email: row.email,
    expiresAt: iso(row.expiresAt),
    createdAt: row.createdAt.toISOString(),
    acceptedAt: iso(row.acceptedAt),
    status: row.status,
    ...(row.createdBy ? { createdBy: row.createdBy } : {}),
    user: row.user,
    organisation: row.organisation,
    deliveryStatus: row.deliveryStatus,
    lastSentAt: iso(row.lastSentAt),
  };
}
