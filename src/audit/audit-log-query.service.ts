import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from '../common/cursor.js';
import type { AuditAction } from './audit-log-entry.entity.js';
import type { AuditLogEntryDto } from './dto/audit-log.dto.js';

interface AuditRow {
  id: string;
  action: AuditAction;
  actor_id: string | null;
  target_email: string | null;
  invitation_id: string | null;
  request_id: string | null;
  created_at: Date;
  created_key: string;
}

export interface AuditLogFilter {
  action?: AuditAction;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

/** Reads one organisation's audit log, newest first, keyset-paginated on (created_at, id). */
@Injectable()
export class AuditLogQueryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(
    organisationId: string,
    filter: AuditLogFilter,
  ): Promise<{ items: AuditLogEntryDto[]; nextCursor: string | null }> {
    const limit = filter.limit ?? 20;
    const params: unknown[] = [organisationId];
    const where = ['organisation_id = $1'];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.action) where.push(`action = ${param(filter.action)}`);
    if (filter.from) where.push(`created_at >= ${param(filter.from)}::timestamptz`);
    if (filter.to) where.push(`created_at < ${param(filter.to)}::timestamptz`);
    if (filter.cursor) {
      const cursor = decodeCursor(filter.cursor);
      where.push(
        `(created_at, id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::uuid)`,
      );
    }
    const rows = await this.dataSource.query<AuditRow[]>(
      `SELECT id, action, actor_id, target_email, invitation_id, request_id, created_at,
              created_at::text AS created_key
         FROM audit_log
        WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC
        LIMIT ${param(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({
        id: row.id,
        action: row.action,
        actorId: row.actor_id,
        targetEmail: row.target_email,
        invitationId: row.invitation_id,
        requestId: row.request_id,
        createdAt: row.created_at.toISOString(),
      })),
      nextCursor:
        rows.length > limit && last
          ? encodeCursor({ createdAt: last.created_key, id: last.id })
          : null,
    };
  }
}
