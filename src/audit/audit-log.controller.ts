import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, InternalAuth } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { ApiProblemResponses } from '../errors/problem-details.dto.js';
import { AuditService } from './audit.service.js';
import { AuditLogPageDto, AuditLogQueryDto } from './dto/audit-log.dto.js';

@Controller('api/audit-log')
@ApiTags('Audit log')
export class AuditLogController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @InternalAuth('audit-log:read')
  @ApiOperation({
    operationId: 'listAuditLog',
    summary: 'List audit log',
    description: "The organisation's invitation activity, newest first, a page at a time.",
  })
  @ApiOkResponse({ type: AuditLogPageDto, description: 'A page of audit log entries' })
  @ApiProblemResponses(400)
  listAuditLog(
    @CurrentPrincipal() principal: Principal,
    @Query() query: AuditLogQueryDto,
  ): Promise<AuditLogPageDto> {
    return this.audit.list(principal.organisationId, query);
  }
}
