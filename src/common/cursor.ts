import { ProblemException } from '../errors/problem.js';
// The rule ParseUUIDPipe applies to path parameters, so every id is checked alike.
import { isUUID } from 'class-validator';

/**
 * Keyset pagination position: the (created_at, id) of the last row of a page. Opaque to clients
 * (base64url JSON); the timestamp is PostgreSQL's own text form, so no precision is lost.
 */
export interface Cursor {
  createdAt: string;
  id: string;
}

/**
 * `created_at::text` as PostgreSQL writes it (DateStyle ISO), e.g. `2030-01-05 09:30:00.123456+00`.
 * Date.parse let through times PostgreSQL refuses ("1", "Tue Nov 26 2026", February 30th): a 500.
 */
const PG_TIMESTAMPTZ =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?[+-]\d{2}(:\d{2}(:\d{2})?)?$/;

function isPgTimestamptz(text: string): boolean {
  const match = PG_TIMESTAMPTZ.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1 &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string, field = 'cursor'): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      isPgTimestamptz(parsed[0]) &&
      typeof parsed[1] === 'string' &&
      isUUID(parsed[1])
    ) {
      return { createdAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the problem below
  }
  throw new ProblemException(400, {
    detail: `${field} is not a cursor this service issued`,
    errors: [{ path: field, message: 'must be a nextCursor value from a previous page' }],
  });
}
