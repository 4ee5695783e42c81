import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  AuditLogRepository,
  type AuditLogFilter,
  type AuditRecord,
} from './audit-log.repository.js';
import { toAuditLogEntryDto, type AuditLogPageDto } from './dto/audit-log.dto.js';

/** Writes audit rows inside the caller's transaction, and reads an organisation's log. */
@Injectable()
export class AuditService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly auditLog: AuditLogRepository,
  ) {}

  record(tx: EntityManager, records: AuditRecord[]): Promise<void> {
    return this.auditLog.insert(tx, records);
  }

  async list(organisationId: string, filter: AuditLogFilter): Promise<AuditLogPageDto> {
    const { rows, nextCursor } = await this.auditLog.page(
      this.dataSource.manager,
      organisationId,
      filter,
    );
    return {
      items: rows.map(toAuditLogEntryDto),
      nextCursor,
    };
  }
}
