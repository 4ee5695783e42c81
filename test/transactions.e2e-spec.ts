import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { isRetryable } from '../src/database/retry.js';
import { rowsOf } from '../src/database/statements.js';
import { InvitationOutbox, jobIdFor } from '../src/invitations/delivery/invitation-outbox.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

/** The one transaction type: TypeORM's `dataSource.transaction` and its EntityManager. */
describe('transactions', () => {
  let t: TestApp;
  let pool: Pool;
  beforeAll(async () => {
    t = await createTestApp({ env: { MAIL_WORKER_ENABLED: 'false' } });
    pool = (t.dataSource.driver as PostgresDriver).master as Pool;
    await t.dataSource.query(`CREATE TABLE tx_spec (id int PRIMARY KEY, note text NOT NULL)`);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.dataSource.query(`TRUNCATE tx_spec`);
  });

  const notes = async () =>
    (await t.dataSource.query<{ note: string }[]>(`SELECT note FROM tx_spec ORDER BY id`)).map(
      (row) => row.note,
    );
  /** Every connection the pool has is back in it: nothing kept, nothing leaked. */
  const poolSettled = () => expect(pool.idleCount).toBe(pool.totalCount);
  const insert = (tx: EntityManager, id: number, note: string) =>
    rowsOf(tx, `INSERT INTO tx_spec (id, note) VALUES ($1, $2)`, [id, note]);

  it('commits when the work resolves; rowsOf answers RETURNING rows of INSERT and UPDATE alike', async () => {
    const seenInside = await t.dataSource.transaction(async (tx) => {
      const inserted = await rowsOf<{ id: number }>(
        tx,
        `INSERT INTO tx_spec (id, note) VALUES (1, 'one'), (2, 'two') RETURNING id`,
      );
      expect(inserted).toEqual([{ id: 1 }, { id: 2 }]);
      // Not committed yet: another connection does not see the rows.
      expect(await notes()).toEqual([]);
      // manager.query would answer [rows, count] here.
      return rowsOf<{ note: string }>(
        tx,
        `UPDATE tx_spec SET note = note || '!' WHERE id = 2 RETURNING note`,
      );
    });
    expect(seenInside).toEqual([{ note: 'two!' }]);
    expect(await notes()).toEqual(['one', 'two!']);
    expect(
      await rowsOf(t.dataSource.manager, `DELETE FROM tx_spec WHERE id = 1 RETURNING note`),
    ).toEqual([{ note: 'one' }]);
    poolSettled();
  });

  it('rolls back and rethrows the same error when the work throws', async () => {
    const failure = new Error('the work failed');
    await expect(
      t.dataSource.transaction(async (tx) => {
        await insert(tx, 1, 'kept?');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await notes()).toEqual([]);
    // The connection went back clean: the next transaction commits only its own row.
    await t.dataSource.transaction((tx) => insert(tx, 2, 'next'));
    expect(await notes()).toEqual(['next']);
    poolSettled();
  });

  it('rejects with SQLSTATE in `code`, so conflicts are retried, and writes nothing', async () => {
    await insert(t.dataSource.manager, 1, 'first');
    const error: unknown = await t.dataSource
      .transaction(async (tx) => {
        await insert(tx, 2, 'second');
        await insert(tx, 1, 'again');
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '23505' });
    expect(isRetryable(error)).toBe(true);
    expect(await notes()).toEqual(['first']);
    poolSettled();
  });

  it('queues jobs with the transaction: none when it rolls back, and none through an ended one', async () => {
    const outbox = t.app.get(InvitationOutbox);
    const job = { invitationId: randomUUID(), generation: 1 };
    const jobExists = async (j: typeof job) =>
      (await t.dataSource.query(`SELECT 1 FROM pgboss.job WHERE id = $1`, [jobIdFor(j)])).length ===
      1;

    await expect(
      t.dataSource.transaction(async (tx) => {
        await outbox.enqueue(tx, job);
        throw new Error('the request failed');
      }),
    ).rejects.toThrow('the request failed');
    expect(await jobExists(job)).toBe(false);

    let ended: EntityManager | undefined;
    await t.dataSource.transaction(async (tx) => {
      ended = tx;
      await outbox.enqueue(tx, job);
    });
    expect(await jobExists(job)).toBe(true);

    const late = { invitationId: randomUUID(), generation: 1 };
    await expect(outbox.enqueue(ended!, late)).rejects.toThrow(/open transaction/);
    await expect(outbox.enqueue(t.dataSource.manager, late)).rejects.toThrow(/open transaction/);
    expect(await jobExists(late)).toBe(false);
    poolSettled();
  });

  it('closes a connection that died in the transaction instead of lending it again', async () => {
    let backend: number | undefined;
    const error: unknown = await t.dataSource
      .transaction(async (tx) => {
        [{ pid: backend }] = await rowsOf<{ pid: number }>(tx, `SELECT pg_backend_pid() AS pid`);
        // Another session ends this one between two statements (a failover, an admin, a restart).
        await t.dataSource.query(`SELECT pg_terminate_backend($1)`, [backend]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await insert(tx, 1, 'lost');
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    poolSettled();

    // Every connection lent from now on is alive: the dead one is gone from the pool.
    const lent = await Promise.all(
      Array.from({ length: pool.totalCount + 1 }, () =>
        t.dataSource.transaction(
          async (tx) =>
            (await rowsOf<{ pid: number }>(tx, `SELECT pg_backend_pid() AS pid`))[0].pid,
        ),
      ),
    );
    expect(lent).not.toContain(backend);
    expect(await notes()).toEqual([]);
  });
});
