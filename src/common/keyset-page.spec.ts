import { encodeCursor } from './cursor.js';
import { KeysetPage } from './keyset-page.js';

describe('KeysetPage', () => {
  const row = (id: string, createdKey: string) => ({ id, createdKey });

  it('asks for one row more than the page, newest first, after the cursor', () => {
    const cursor = encodeCursor({
      createdAt: '2030-01-05 09:30:00.123456+00',
      id: '0b7a6f1e-3c1d-4f7e-9a55-5f3a8f1d2c10',
    });
    const page = new KeysetPage({ limit: 2, cursor });
    page.where(`organisation_id = ${page.param('org')}`);
    expect(page.tail()).toBe(
      'WHERE (created_at, id) < ($1::timestamptz, $2::uuid) AND organisation_id = $3 ' +
        'ORDER BY created_at DESC, id DESC LIMIT $4',
    );
    expect(page.values).toEqual([
      '2030-01-05 09:30:00.123456+00',
      '0b7a6f1e-3c1d-4f7e-9a55-5f3a8f1d2c10',
      'org',
      3,
    ]);
  });

  it('cuts the extra row off and points the next cursor at the last row kept', () => {
    const page = new KeysetPage({ limit: 2 });
    const rows = [row('a', 't3'), row('b', 't2'), row('c', 't1')];
    expect(page.page(rows)).toEqual({
      rows: rows.slice(0, 2),
      nextCursor: encodeCursor({ createdAt: 't2', id: 'b' }),
    });
    expect(page.page(rows.slice(0, 2))).toEqual({ rows: rows.slice(0, 2), nextCursor: null });
  });

  it('pages 20 at a time by default, with no WHERE when nothing filters', () => {
    const page = new KeysetPage({});
    expect(page.tail()).toBe('ORDER BY created_at DESC, id DESC LIMIT $1');
    expect(page.values).toEqual([21]);
  });
});
