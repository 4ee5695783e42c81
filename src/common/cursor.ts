import { ProblemException } from '../errors/problem.js';

/**
 * Keyset pagination position: the (created_at, id) of the last row of a page. Opaque to clients
 * (base64url JSON); the timestamp is PostgreSQL's own text form, so no precision is lost.
 */
export interface Cursor {
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
      !Number.isNaN(Date.parse(parsed[0])) &&
      typeof parsed[1] === 'string' &&
      UUID.test(parsed[1])
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
