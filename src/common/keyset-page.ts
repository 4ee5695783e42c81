import { DEFAULT_PAGE_SIZE } from './page-query.dto.js';
import { decodeCursor, encodeCursor } from './cursor.js';

/** What a list endpoint's query says about paging (PageQueryDto). */
export interface PageRequest {
  limit?: number;
  cursor?: string;
  /** Rows to skip first, for numbered pages (`page`/`perPage`); deep pages are cheaper by cursor. */
  offset?: number;
}

/** A row of a keyset-paginated table: its id and `created_at::text` (the cursor's exact key). */
export interface KeyedRow {
  id: string;
  createdKey: string;
}

/**
 * The one keyset-pagination builder: newest first on (created_at, id), with no OFFSET and no count,
 * so a deep page costs what the first one does and rows inserted meanwhile never shift a page.
 * A repository adds its filters with `where` and `param`, selects `created_at::text AS "createdKey"`
 * beside its columns, puts `tail()` after its FROM, and hands the rows to `page`.
 */
export class KeysetPage {
  readonly values: unknown[] = [];
  private readonly conditions: string[] = [];
  private readonly limit: number;
  private readonly offset: number;

  constructor(request: PageRequest) {
    this.limit = request.limit ?? DEFAULT_PAGE_SIZE;
    this.offset = request.offset ?? 0;
    if (request.cursor) {
      const cursor = decodeCursor(request.cursor);
      this.where(
        `(created_at, id) < (${this.param(cursor.createdAt)}::timestamptz, ${this.param(cursor.id)}::uuid)`,
      );
    }
  }

  /** A placeholder (`$n`) for the value. */
  param(value: unknown): string {
    return `$${this.values.push(value)}`;
  }

  where(condition: string): this {
    this.conditions.push(condition);
    return this;
  }

  /**
   * WHERE, ORDER BY, LIMIT (one row more than the page, to know whether another follows) and the
   * OFFSET when there is one.
   */
  tail(): string {
    let order = `ORDER BY created_at DESC, id DESC LIMIT ${this.param(this.limit + 1)}`;
    if (this.offset > 0) order += ` OFFSET ${this.param(this.offset)}`;
    return this.conditions.length > 0 ? `WHERE ${this.conditions.join(' AND ')} ${order}` : order;
  }

  page<T extends KeyedRow>(rows: T[]): { rows: T[]; nextCursor: string | null } {
    const page = rows.slice(0, this.limit);
    const last = page[page.length - 1];
    return {
      rows: page,
      nextCursor:
        rows.length > this.limit && last
          ? encodeCursor({ createdAt: last.createdKey, id: last.id })
          : null,
    };
  }
}
