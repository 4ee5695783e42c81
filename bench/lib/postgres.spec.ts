import { statementShape } from './postgres.js';

describe('bench statement shapes', () => {
  // The two texts pg_stat_statements kept for pg-boss's job insert in one run (shortened): one
  // side's entry with the constants as written, the other's with them as parameters.
  const written = `SELECT COALESCE(priority, 0), 'epoch'::timestamp, interval '1s', COALESCE(x, defaults.retry_backoff, false), ELSE NULL END FROM json_to_recordset($1)`;
  const parameterised = `SELECT COALESCE(priority, $7), $8::timestamp, interval $12, COALESCE(x, defaults.retry_backoff, $19), ELSE $11 END FROM json_to_recordset($1)`;

  it('reads constants and parameters alike, booleans included', () => {
    expect(statementShape(written)).toBe(statementShape(parameterised));
  });

  it('keeps statements that differ in more than their constants apart', () => {
    expect(statementShape(written)).not.toBe(
      statementShape(parameterised.replace('defaults.retry_backoff', 'defaults.retry_delay')),
    );
    expect(statementShape('SELECT a FROM t WHERE b = $1')).not.toBe(
      statementShape('SELECT a FROM t WHERE c = $1'),
    );
  });

  it('leaves identifiers that contain digits or the words alone', () => {
    expect(statementShape('SELECT v2, is_true FROM t2')).toBe('SELECT v2, is_true FROM t2');
  });
});
