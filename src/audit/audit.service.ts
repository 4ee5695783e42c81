import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ClsService } from 'nestjs-cls';
import { AuditLogRepository, type AuditRecord } from './audit-log.repository.js';
import { currentOrigin } from './request-origin.js';

/** Writes audit rows inside the caller's transaction, stamped with the current request's origin. */
@Injectable()
export class AuditService {
  constructor(
    private readonly auditLog: AuditLogRepository,
    private readonly cls: ClsService,
  ) {}

  record(tx: EntityManager, records: AuditRecord[]): Promise<void> {
    return this.auditLog.insert(tx, records, currentOrigin(this.cls));
  }
}
