import { MAX_PREPARED_STATEMENTS, preparedName } from './sql-transaction.js';

// A file of its own: the names are per process (per test file under Jest), and this fills them.
describe('preparedName', () => {
  it('names a statement with parameters once, and sends one without them unnamed', () => {
    const name = preparedName(`SELECT $1::int AS n`, [1]);
    expect(name).toMatch(/^brms_\d+$/);
    expect(preparedName(`SELECT $1::int AS n`, [2])).toBe(name);
    expect(preparedName(`SELECT $1::int AS m`, [1])).not.toBe(name);
    expect(preparedName(`SELECT 1 AS without_parameters`, [])).toBeUndefined();
    expect(preparedName(`SELECT 1 AS without_parameters`, undefined)).toBeUndefined();
  });

  it('stops naming new texts past MAX_PREPARED_STATEMENTS, and keeps the names it gave', () => {
    // SQL built at run time must not grow every connection's prepared statements without bound.
    const name = preparedName(`SELECT $1::int AS bounded_0`, [1]);
    for (let i = 1; i <= MAX_PREPARED_STATEMENTS; i++) {
      preparedName(`SELECT $1::int AS bounded_${i}`, [i]);
    }
    expect(preparedName(`SELECT $1::int AS one_too_many`, [1])).toBeUndefined();
    expect(preparedName(`SELECT $1::int AS bounded_0`, [3])).toBe(name);
  });
});
