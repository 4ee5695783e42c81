import { ApiPropertyOptional, IntersectionType, PickType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsISO8601, IsOptional, IsUUID, Matches } from 'class-validator';
import { ListInvitationsQueryDto } from '../../invitations/dto/invitation-list.dto.js';
import {
  AUDIT_ACTIONS,
  AUDIT_TYPES,
  type AuditAction,
  type AuditType,
} from '../audit-log-entry.entity.js';

/** The fields listAuditLogs orders by: those its index serves. */
export const AUDIT_ORDER_FIELDS = ['createdAt'] as const;
export type AuditOrderField = (typeof AUDIT_ORDER_FIELDS)[number];
export const SORT_DIRECTIONS = ['ASC', 'DESC'] as const;
export type SortDirection = (typeof SORT_DIRECTIONS)[number];

/**
 * A calendar date or a date-time, in the forms Date and PostgreSQL both read (not ISO 8601's week
 * or ordinal dates, not an hour-only offset, no year before 1000). A date-time without an offset
 * is UTC.
 */
const DATE_OR_DATE_TIME =
  /^[1-9]\d{3}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const DATE_MESSAGE = (field: string) =>
  `${field} must be a date (2030-01-31) or a date-time (2030-01-31T12:00:00Z)`;

/** The filters listAuditLogs and exportAuditLogs share, as GoRules names them. */
export class AuditLogFilterDto {
  @ApiPropertyOptional({ type: 'string', format: 'uuid', description: 'Filter by project ID' })
  @IsOptional()
  @IsUUID('all')
  projectId?: string;

  @ApiPropertyOptional({ type: 'string', format: 'uuid', description: 'Filter by user ID' })
  @IsOptional()
  @IsUUID('all')
  userId?: string;

  @ApiPropertyOptional({
    type: 'string',
    description: 'Filter entries from this date (inclusive)',
  })
  @IsOptional()
  @Matches(DATE_OR_DATE_TIME, { message: DATE_MESSAGE('fromDate') })
  @IsISO8601({ strict: true }, { message: DATE_MESSAGE('fromDate') })
  fromDate?: string;

  @ApiPropertyOptional({
    type: 'string',
    description: 'Filter entries until this date (inclusive)',
  })
  @IsOptional()
  @Matches(DATE_OR_DATE_TIME, { message: DATE_MESSAGE('toDate') })
  @IsISO8601({ strict: true }, { message: DATE_MESSAGE('toDate') })
  toDate?: string;

  @ApiPropertyOptional({
    type: 'string',
    enum: AUDIT_TYPES,
    description: 'Filter by audit log type',
  })
  @IsOptional()
  @IsIn(AUDIT_TYPES)
  type?: AuditType;

  @ApiPropertyOptional({
    type: 'string',
    enum: AUDIT_ACTIONS,
    description: 'Filter by action name',
  })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({
    type: 'string',
    enum: AUDIT_ORDER_FIELDS,
    description: 'Field to order results by',
  })
  @IsOptional()
  @IsIn(AUDIT_ORDER_FIELDS)
  orderBy?: AuditOrderField;

  @ApiPropertyOptional({
    type: 'string',
    enum: SORT_DIRECTIONS,
    description: 'Sort direction (ASC or DESC)',
  })
  @IsOptional()
  // asc and desc are read as ASC and DESC; anything else stays as given, to be refused.
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^(asc|desc)$/i.test(value) ? value.toUpperCase() : value,
  )
  @IsIn(SORT_DIRECTIONS)
  sort?: SortDirection;
}

/** Query of `GET /api/audit-logs` (listAuditLogs): the filters and GoRules' page and perPage. */
export class ListAuditLogsQueryDto extends IntersectionType(
  AuditLogFilterDto,
  PickType(ListInvitationsQueryDto, ['page', 'perPage'] as const),
) {}

/** Query of `GET /api/audit-logs/export` (exportAuditLogs): the list's filters, no paging. */
export class ExportAuditLogsQueryDto extends AuditLogFilterDto {}
