import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/page-query.dto.js';
import { AUDIT_ACTIONS, type AuditAction, type AuditLogEntry } from '../audit-log-entry.entity.js';

/** Query of `GET /api/audit-log` (listAuditLog). */
export class AuditLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: AUDIT_ACTIONS, description: 'Only entries of this action' })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({ format: 'date-time', description: 'Entries at or after this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Entries before this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class AuditLogEntryDto {
  @ApiProperty({ type: 'string', format: 'uuid', description: 'Entry id' })
  id!: string;

  @ApiProperty({ enum: AUDIT_ACTIONS, description: 'What happened' })
  action!: AuditAction;

  @ApiProperty({
    type: 'string',
    format: 'uuid',
    nullable: true,
    description: 'Who did it; null for the system',
  })
  actorId!: string | null;

  @ApiProperty({ type: 'string', nullable: true, description: 'The invited address concerned' })
  targetEmail!: string | null;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true, description: 'The invitation' })
  invitationId!: string | null;

  @ApiProperty({ type: 'string', nullable: true, description: 'Request id of the change' })
  requestId!: string | null;

  @ApiProperty({ type: 'string', description: 'When it happened' })
  createdAt!: string;
}

export class AuditLogPageDto {
  @ApiProperty({ type: [AuditLogEntryDto], description: 'Entries, newest first' })
  items!: AuditLogEntryDto[];

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Pass as cursor for the next page; null on the last',
  })
  nextCursor!: string | null;
}

export function toAuditLogEntryDto(entry: AuditLogEntry): AuditLogEntryDto {
  return {
    id: entry.id,
    action: entry.action,
    actorId: entry.actorId,
    targetEmail: entry.targetEmail,
    invitationId: entry.invitationId,
    requestId: entry.requestId,
    createdAt: entry.createdAt.toISOString(),
  };
}
