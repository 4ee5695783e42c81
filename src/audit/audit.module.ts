import { Module } from '@nestjs/common';
import { AuditLogQueryService } from './audit-log-query.service.js';
import { AuditLogRepository } from './audit-log.repository.js';
import { AuditLogsController } from './audit-logs.controller.js';
import { AuditService } from './audit.service.js';
import { RequestOriginModule } from './request-origin.js';

@Module({
  imports: [RequestOriginModule],
  controllers: [AuditLogsController],
  providers: [AuditService, AuditLogQueryService, AuditLogRepository],
  exports: [AuditService],
})
export class AuditModule {}
