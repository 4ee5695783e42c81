import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, InternalAuth } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { ApiProblemResponses } from '../errors/problem-details.dto.js';
import { AuditLogQueryService } from './audit-log-query.service.js';
import { ExportAuditLogsQueryDto, ListAuditLogsQueryDto } from './dto/audit-log-query.dto.js';
import {
  AuditLogDto,
  AuditLogListDto,
  toAuditLogDto,
  toAuditLogListItemDto,
} from './dto/audit-log.dto.js';
import { uuidParam } from '../common/uuid-param.js';

/** GoRules' `Audit log` operations: list, export as CSV, get one. Owners and admins only. */
@Controller('api/audit-logs')
@ApiTags('Audit log')
export class AuditLogsController {
  constructor(private readonly auditLogs: AuditLogQueryService) {}

  @Get()
  @InternalAuth('audit-log:read', { personalAccessToken: true })
  @ApiOperation({
    operationId: 'listAuditLogs',
    summary: 'List audit logs',
    description:
      'Retrieve a paginated list of audit log entries for the organisation. Supports filtering by project, user, date range, type, and action.',
  })
  @ApiOkResponse({ type: AuditLogListDto, description: 'Paginated list of audit logs' })
  @ApiProblemResponses(400)
  async listAuditLogs(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListAuditLogsQueryDto,
  ): Promise<AuditLogListDto> {
    const page = await this.auditLogs.list(principal.organisationId, query);
    return { results: page.rows.map(toAuditLogListItemDto), paginate: page.paginate };
  }

  // Declared before :auditLogId, so `export` is never taken for an id.
  @Get('export')
  @InternalAuth('audit-log:read', { personalAccessToken: true })
  @ApiOperation({
    operationId: 'exportAuditLogs',
    summary: 'Export audit logs',
    description:
      'Export audit log entries as a CSV file. Supports filtering by project, user, and date range.',
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description: 'CSV file of audit log entries',
    content: {
      'text/csv': { schema: { type: 'string', description: 'CSV file of audit log entries' } },
    },
  })
  @ApiProblemResponses(400)
  async exportAuditLogs(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ExportAuditLogsQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    await this.auditLogs.export(principal.organisationId, query, res, () => {
      res.status(200);
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', 'attachment; filename="audit-logs.csv"');
    });
  }

  @Get(':auditLogId')
  @InternalAuth('audit-log:read', { personalAccessToken: true })
  @ApiOperation({
    operationId: 'getAuditLog',
    summary: 'Get audit log',
    description: 'Retrieve a single audit log entry by ID, including the full data payload.',
  })
  @ApiParam({ name: 'auditLogId', format: 'uuid', description: 'Audit log entry ID' })
  @ApiOkResponse({ type: AuditLogDto, description: 'Audit log entry with full details' })
  @ApiProblemResponses(400, 404)
  async getAuditLog(
    @CurrentPrincipal() principal: Principal,
    @Param('auditLogId', uuidParam) auditLogId: string,
  ): Promise<AuditLogDto> {
    return toAuditLogDto(await this.auditLogs.get(principal.organisationId, auditLogId));
  }
}
