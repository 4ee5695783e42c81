import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataSource } from 'typeorm';
import { ProblemException } from '../errors/problem.js';
import { DEFAULT_PER_PAGE } from '../invitations/dto/invitation-list.dto.js';
import { auditCsvStringifier, toAuditCsvRecords } from './audit-log-csv.js';
import {
  AuditLogRepository,
  type AuditLogFilter,
  type AuditLogRow,
} from './audit-log.repository.js';
import type { AuditLogFilterDto, ListAuditLogsQueryDto } from './dto/audit-log-query.dto.js';

/** A page of listAuditLogs and where it lies in the whole list (GoRules' `paginate`). */
export interface AuditLogPage {
  rows: AuditLogRow[];
  paginate: { current: number; from: number; to: number; total: number; pageSize: number };
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A validated fromDate/toDate as an instant; a date-time without an offset is UTC. */
function instant(value: string): Date {
  const offset = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value.slice(10));
  return new Date(DATE_ONLY.test(value) || offset ? value : `${value}Z`);
}

/**
 * The query's filters as bounds. Both dates are inclusive: a whole day when only a date is given
 * (`toDate=2030-01-31` takes all of 31 January, UTC), else up to and including that instant.
 */
export function auditLogFilter(organisationId: string, query: AuditLogFilterDto): AuditLogFilter {
  let before: Date | undefined;
  if (query.toDate !== undefined) {
    const to = instant(query.toDate);
    before = new Date(to.getTime() + (DATE_ONLY.test(query.toDate) ? DAY_MS : 1));
  }
  return {
    organisationId,
    projectId: query.projectId,
    userId: query.userId,
    from: query.fromDate !== undefined ? instant(query.fromDate) : undefined,
    before,
    type: query.type,
    action: query.action,
    ascending: query.sort === 'ASC',
  };
}

/** Reads one organisation's audit log: a page, one entry, or all of it as CSV. */
/**
 * Exports running at once in this process. Each holds a pooled connection for as long as its
 * client reads, so without a cap a few slow readers (or a leaked token) would take the whole pool
 * and stall every other request.
 */
export const MAX_CONCURRENT_EXPORTS = 2;
const EXPORT_RETRY_AFTER_SECONDS = 10;

@Injectable()
export class AuditLogQueryService {
  private exportsRunning = 0;

  /** Exports holding a connection now; one ends a moment after its client has read the end. */
  get runningExports(): number {
    return this.exportsRunning;
  }

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly auditLog: AuditLogRepository,
  ) {}

  async list(organisationId: string, query: ListAuditLogsQueryDto): Promise<AuditLogPage> {
    const perPage = query.perPage ?? DEFAULT_PER_PAGE;
    const page = query.page ?? 1;
    const filter = auditLogFilter(organisationId, query);
    const before = (page - 1) * perPage;
    const db = this.dataSource.manager;
    const [rows, total] = await Promise.all([
      this.auditLog.page(db, filter, { offset: before, limit: perPage }),
      this.auditLog.count(db, filter),
    ]);
    return {
      rows,
      paginate: {
        current: page,
        from: rows.length > 0 ? before + 1 : 0,
        to: rows.length > 0 ? before + rows.length : 0,
        total,
        pageSize: perPage,
      },
    };
  }

  async get(organisationId: string, id: string) {
    const row = await this.auditLog.findOne(this.dataSource.manager, organisationId, id);
    if (!row) throw new ProblemException(404, { detail: 'No such audit log entry' });
    return row;
  }

  /**
   * Writes every matching entry to `out` as CSV while it is read: a cursor feeds the rows in
   * batches, and each waits until `out` has taken the previous ones, so memory stays flat. The
   * first row is read before `begin` is called and anything is written: a query that fails is
   * still answered with a problem. A client that goes away ends the read. The connection (and
   * the transaction's snapshot) is held for the export's duration and then released.
   */
  async export(
    organisationId: string,
    query: AuditLogFilterDto,
    out: Writable,
    begin: () => void,
  ): Promise<void> {
    if (this.exportsRunning >= MAX_CONCURRENT_EXPORTS) {
      throw new ProblemException(429, {
        detail: `At most ${MAX_CONCURRENT_EXPORTS} audit log exports run at once; retry in ${EXPORT_RETRY_AFTER_SECONDS} s`,
        headers: { 'Retry-After': String(EXPORT_RETRY_AFTER_SECONDS) },
      });
    }
    this.exportsRunning += 1;
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      // One statement reads it all, a batch per fetch, for as long as the client takes: the
      // statement timeout that bounds the API's other statements would cut it off midway.
      await runner.startTransaction();
      await runner.query('SET LOCAL statement_timeout = 0');
      const rows = await this.auditLog.stream(runner, auditLogFilter(organisationId, query));
      const iterator = rows[Symbol.asyncIterator]() as AsyncIterator<unknown>;
      const first = await iterator.next();
      begin();
      await pipeline(
        async function* () {
          if (first.done) return;
          yield first.value;
          yield* { [Symbol.asyncIterator]: () => iterator };
        },
        toAuditCsvRecords(),
        auditCsvStringifier(),
        out,
      );
    } finally {
      // Read-only: ending it either way releases the snapshot; rollback also after a failure.
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
      this.exportsRunning -= 1;
    }
  }
}
