import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { PaginateDto } from '../../invitations/dto/invitation-list.dto.js';
import { AUDIT_TYPES, type AuditType } from '../audit-log-entry.entity.js';
import type { AuditLogRow } from '../audit-log.repository.js';

/** The user who acted, as an entry names them. */
export interface AuditLogUserDto {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
}

/** GoRules' project of an entry; always null here, where there are no projects. */
export interface AuditLogProjectDto {
  id: string;
  name: string;
}

/**
 * An entry as listed (GoRules' fields, none required). `ipAddress` and `userAgent` are left out
 * when unknown, i.e. for what the system did outside a request (the mail worker): GoRules types
 * them as strings, not nullable.
 */
export class AuditLogListItemDto {
  @ApiPropertyOptional({
    type: 'string',
    format: 'uuid',
    description: 'Unique identifier of the audit log entry',
  })
  id!: string;

  @ApiPropertyOptional({ type: 'string', description: 'Timestamp when the action was performed' })
  createdAt!: string;

  @ApiPropertyOptional({
    type: 'string',
    enum: AUDIT_TYPES,
    description: 'Category of the audited resource',
  })
  type!: AuditType;

  @ApiPropertyOptional({ type: 'string', description: 'Specific action that was performed' })
  action!: string;

  @ApiPropertyOptional({
    type: 'string',
    description: 'IP address of the client that performed the action',
  })
  ipAddress?: string;

  @ApiPropertyOptional({
    type: 'string',
    description: 'User agent of the client that performed the action',
  })
  userAgent?: string;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    description: 'Reference ID of the affected resource',
  })
  refId!: string | null;

  // Inline, as GoRules writes it: a nullable $ref would become allOf.
  @ApiPropertyOptional({
    type: 'object',
    nullable: true,
    properties: {
      id: { type: 'string', format: 'uuid' },
      email: { type: 'string', format: 'email' },
      firstName: { type: 'string', nullable: true },
      lastName: { type: 'string', nullable: true },
    },
    description: 'User who performed the action',
  })
  user!: AuditLogUserDto | null;

  @ApiPropertyOptional({
    type: 'object',
    nullable: true,
    properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' } },
    description: 'Project associated with the audit log entry',
  })
  project!: AuditLogProjectDto | null;
}

@ApiSchema({ description: 'Paginated list of audit logs' })
export class AuditLogListDto {
  @ApiProperty({ type: () => [AuditLogListItemDto], description: 'List of audit log entries' })
  results!: AuditLogListItemDto[];

  @ApiProperty({ type: () => PaginateDto })
  paginate!: PaginateDto;
}

/** One entry with its organisation and its full `data` (before/after values, never secrets). */
@ApiSchema({ description: 'Audit log entry with full details' })
export class AuditLogDto extends AuditLogListItemDto {
  @ApiPropertyOptional({
    type: 'string',
    format: 'uuid',
    description: 'Organisation ID associated with the audit log',
  })
  organisationId!: string;

  @ApiPropertyOptional({ description: 'Detailed payload of the audit log entry' })
  data!: Record<string, unknown>;
}

export function toAuditLogListItemDto(row: AuditLogRow): AuditLogListItemDto {
  return {
    id: row.id,
    createdAt: row.createdAt.toISOString(),
    type: row.type,
    action: row.action,
    ...(row.ipAddress !== null ? { ipAddress: row.ipAddress } : {}),
    ...(row.userAgent !== null ? { userAgent: row.userAgent } : {}),
    refId: row.refId,
    user: row.user,
    project: null,
  };
}

export function toAuditLogDto(row: AuditLogRow & { data: Record<string, unknown> }): AuditLogDto {
  return {
    ...toAuditLogListItemDto(row),
    organisationId: row.organisationId,
    data: row.data,
  };
}
