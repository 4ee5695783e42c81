import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLogEntry, type AuditAction } from './audit-log-entry.entity.js';

export interface AuditRecord {
  organisationId: string;
  actorId: string | null;
  action: AuditAction;
  targetEmail?: string | null;
  invitationId?: string | null;
  requestId?: string | null;
  createdAt: Date;
}

/** Writes audit rows inside the caller's transaction, so they exist exactly when the change does. */
@Injectable()
export class AuditService {
  async record(manager: EntityManager, records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await manager
      .createQueryBuilder()
      .insert()
      .into(AuditLogEntry)
      .values(
        records.map((r) => ({
          organisationId: r.organisationId,
          actorId: r.actorId,
          action: r.action,
          targetEmail: r.targetEmail ?? null,
          invitationId: r.invitationId ?? null,
          requestId: r.requestId ?? null,
          createdAt: r.createdAt,
        })),
      )
      .execute();
  }
}
