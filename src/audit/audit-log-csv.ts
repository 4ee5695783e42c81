import { Transform } from 'node:stream';
import { stringify, type Stringifier } from 'csv-stringify';
import type { AuditLogRow } from './audit-log.repository.js';

/** The columns of exportAuditLogs, in order; `data` is the entry's payload as JSON. */
export const AUDIT_CSV_COLUMNS = [
  'id',
  'createdAt',
  'type',
  'action',
  'refId',
  'userId',
  'userEmail',
  'userFirstName',
  'userLastName',
  'ipAddress',
  'userAgent',
  'projectId',
  'data',
] as const;

/**
 * A spreadsheet reads a cell that starts with one of these as a formula (or, for tab and CR, may
 * shift it into one). Such a cell gets a leading apostrophe, which spreadsheets show as text
 * (OWASP's CSV injection advice); the value is otherwise unchanged.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** One entry as a CSV record, every cell text (empty for null). */
export function auditCsvRecord(row: AuditLogRow & { data: unknown }): string[] {
  const cells = [
    row.id,
    row.createdAt.toISOString(),
    row.type,
    row.action,
    row.refId,
    row.user?.id,
    row.user?.email,
    row.user?.firstName,
    row.user?.lastName,
    row.ipAddress,
    row.userAgent,
    null,
    JSON.stringify(row.data ?? {}),
  ];
  return cells.map((cell) => neutraliseFormula(cell ?? ''));
}

/** Rows in, records out, one at a time (object mode both sides, so back-pressure holds). */
export function toAuditCsvRecords(): Transform {
  return new Transform({
    objectMode: true,
    transform(row: AuditLogRow & { data: unknown }, _encoding, done) {
      done(null, auditCsvRecord(row));
    },
  });
}

/**
 * RFC 4180: CRLF between records, a field quoted when it holds a comma, a quote or a line break,
 * a quote doubled inside one; a header record first.
 */
export function auditCsvStringifier(): Stringifier {
  return stringify({
    header: true,
    columns: [...AUDIT_CSV_COLUMNS],
    record_delimiter: '\r\n',
  });
}
