import { Module } from '@nestjs/common';
import { AuditLogRepository } from './audit-log.repository.js';
import { AuditService } from './audit.service.js';
import { RequestOriginModule } from './request-origin.js';

@Module({
  imports: [RequestOriginModule],
  providers: [AuditService, AuditLogRepository],
  exports: [AuditService],
})
export class AuditModule {}
