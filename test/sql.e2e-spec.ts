import type { Pool, PoolClient } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { isRetryable } from '../src/database/retry.js';
import { Sql, SqlTransaction } from '../src/database/sql.js';
import { InvitationOutbox } from '../src/mail/invitation-outbox.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

/** Sql: the invitation paths' transactions on TypeORM's pool, without its per-statement work. */
describe('Sql', () => {
  let t: TestApp;
  let sql: Sql;
  let pool: Pool;
  beforeAll(async () => {
    t = await createTestApp({ env: { MAIL_WORKER_ENABLED: 'false' } });
    sql = t.app.get(Sql);
    pool = (t.dataSource.driver as PostgresDriver).master as Pool;
    await t.dataSource.query(`CREATE TABLE sql_spec (id int PRIMARY KEY, note text NOT NULL)`);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.dataSource.query(`TRUNCATE sql_spec`);
  });

  const notes = async () =>
    (await t.dataSource.query<{ note: string }[]>(`SELECT note FROM sql_spec ORDER BY id`)).map(
      (row) => row.note,
    );
  /** Every connection the pool has is back in it: nothing kept, nothing leaked. */
  const poolSettled = () => expect(pool.idleCount).toBe(pool.totalCount);

  it('runs on the same pool as TypeORM', () => {
    expect(pool).toBe((t.dataSource.driver as PostgresDriver).master);
  });

  it('runs one statement on a pooled connection, outside any transaction', async () => {
    expect(await sql.query<{ n: number }>(`SELECT $1::int + 1 AS n`, [41])).toEqual([{ n: 42 }]);
    poolSettled();
  });

  it('prepares a statement with parameters once per connection, and sends the others as they are', async () => {
    const prepared = `SELECT note FROM sql_spec WHERE id = $1`;
    const plain = `SELECT count(*)::int AS n FROM sql_spec`;
    const seen = await sql.transaction(async (tx) => {
      // One connection for the whole transaction: what it prepared is in its session.
      await tx.query(prepared, [1]);
      await tx.query(prepared, [2]);
      await tx.query(plain);
      return tx.query<{ name: string; statement: string }>(
        `SELECT name, statement FROM pg_prepared_statements WHERE statement = ANY($1::text[])`,
        [[prepared, plain]],
      );
    });
    expect(seen).toEqual([{ name: expect.stringMatching(/^brms_\d+$/), statement: prepared }]);
    poolSettled();
  });

  it('runs a prepared statement again after it failed and its transaction rolled back', async () => {
    // The failure (23505) comes from a prepared statement; its connection goes back to the pool
    // and later transactions, on it or another, run the same statement normally.
    const insert = `INSERT INTO sql_spec (id, note) VALUES ($1, $2)`;
    await sql.transaction((tx) => tx.query(insert, [1, 'one']));
    for (let round = 0; round < 5; round++) {
      await expect(sql.transaction((tx) => tx.query(insert, [1, 'again']))).rejects.toMatchObject({
        code: '23505',
      });
      await sql.transaction((tx) => tx.query(insert, [10 + round, `round ${round}`]));
    }
    expect(await notes()).toEqual(['one', 'round 0', 'round 1', 'round 2', 'round 3', 'round 4']);
    poolSettled();
  });

  it('commits when the work resolves, and answers rows like pg does', async () => {
    const seenInside = await sql.transaction(async (tx) => {
      const inserted = await tx.query<{ id: number }>(
        `INSERT INTO sql_spec (id, note) VALUES (1, 'one'), (2, 'two') RETURNING id`,
      );
      expect(inserted).toEqual([{ id: 1 }, { id: 2 }]);
      // Not committed yet: another connection does not see the rows.
      expect(await notes()).toEqual([]);
      // UPDATE … RETURNING answers its rows too (TypeORM's manager.query answers [rows, count]).
      return tx.query<{ note: string }>(
        `UPDATE sql_spec SET note = note || '!' WHERE id = 2 RETURNING note`,
      );
    });
    expect(seenInside).toEqual([{ note: 'two!' }]);
    expect(await notes()).toEqual(['one', 'two!']);
    poolSettled();
  });

  it('rolls back and rethrows the same error when the work throws', async () => {
    const failure = new Error('the work failed');
    await expect(
      sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO sql_spec (id, note) VALUES (1, 'kept?')`);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await notes()).toEqual([]);
    // The connection went back clean: the next transaction on it commits only its own row.
    await sql.transaction((tx) => tx.query(`INSERT INTO sql_spec (id, note) VALUES (2, 'next')`));
    expect(await notes()).toEqual(['next']);
    poolSettled();
  });

  it("rejects with the driver's error, SQLSTATE in `code`, so conflicts are retried", async () => {
    await t.dataSource.query(`INSERT INTO sql_spec (id, note) VALUES (1, 'first')`);
    const error: unknown = await sql
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO sql_spec (id, note) VALUES (2, 'second')`);
        await tx.query(`INSERT INTO sql_spec (id, note) VALUES (1, 'again')`);
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '23505' });
    expect(isRetryable(error)).toBe(true);
    expect(await notes()).toEqual(['first']);
    poolSettled();
  });

  it('refuses statements once the transaction has ended, and the outbox refuses it too', async () => {
    let leaked: SqlTransaction | undefined;
    await sql.transaction(async (tx) => {
      leaked = tx;
      expect(tx.active).toBe(true);
      await tx.query(`INSERT INTO sql_spec (id, note) VALUES (1, 'in time')`);
    });
    expect(leaked!.active).toBe(false);
    await expect(
      leaked!.query(`INSERT INTO sql_spec (id, note) VALUES (9, 'late')`),
    ).rejects.toThrow('This transaction has already ended');
    const outbox = t.app.get(InvitationOutbox);
    await expect(
      outbox.enqueue(leaked!, { invitationId: crypto.randomUUID(), generation: 1 }),
    ).rejects.toThrow('this transaction has already ended');
    expect(await notes()).toEqual(['in time']);
  });

  it('closes a connection that died in the transaction instead of lending it again', async () => {
    let backend: number | undefined;
    const error: unknown = await sql
      .transaction(async (tx) => {
        [{ pid: backend }] = await tx.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
        // pg-pool stops listening while it lends a connection: without a listener of ours, its
        // 'error' event below would be unhandled and end the process.
        const client = (tx as unknown as { client: PoolClient }).client;
        expect(client.listenerCount('error')).toBeGreaterThan(0);
        // Another session ends this one between two statements (a failover, an admin, a restart).
        await t.dataSource.query(`SELECT pg_terminate_backend($1)`, [backend]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await tx.query(`INSERT INTO sql_spec (id, note) VALUES (1, 'lost')`);
      })
      .catch((e: unknown) => e);
    // The statement after the death answers with the connection's own error (the exception filter
    // turns it into a 503), not pg's "Client has encountered a connection error and is not queryable".
    expect(error).toMatchObject({ code: '57P01' }); // admin_shutdown: terminated by another session
    poolSettled();

    // Every connection lent from now on is alive: the dead one is gone from the pool.
    const lent = await Promise.all(
      Array.from({ length: pool.totalCount + 1 }, () =>
        sql.transaction(
          async (tx) => (await tx.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`))[0].pid,
        ),
      ),
    );
    expect(lent).not.toContain(backend);
    expect(await notes()).toEqual([]);
  });
});
