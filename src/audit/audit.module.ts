import { Module } from '@nestjs/common';
import { AuditLogController } from './audit-log.controller.js';
import { AuditLogQueryService } from './audit-log-query.service.js';
import { AuditService } from './audit.service.js';

@Module({
  controllers: [AuditLogController],
  providers: [AuditService, AuditLogQueryService],
  exports: [AuditService],
})
export class AuditModule {}
