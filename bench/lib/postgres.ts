import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import {
  startEmbeddedPostgres,
  type EmbeddedServer,
} from '../../src/database/embedded-postgres.js';
import { INVITATION_EMAIL_QUEUES } from '../../src/invitations/delivery/invitation-outbox.js';
import { QUEUE_SCHEMA as MAIL_QUEUE_SCHEMA } from '../../src/queue/job-queue.js';

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The PostgreSQL of one bench run: DATABASE_URL's server, else an embedded one in a temp
 * directory, started with pg_stat_statements loaded (so the bench can show which statements each
 * handler issues). Every scenario phase gets its own database, copied from a migrated template, so
 * phases start from the same state and never see each other's rows or queued jobs.
 */
export class BenchPostgres {
  private readonly databases: string[] = [];
  private sequence = 0;
  /** Whether pg_stat_statements can be read (preloaded on the server). */
  statements = false;

  private constructor(
    readonly adminUrl: string,
    readonly prefix: string,
    private embedded: EmbeddedServer | undefined,
    readonly dataDir: string | undefined,
  ) {}

  get description(): string {
    return this.embedded ? `embedded, ${this.dataDir}` : 'DATABASE_URL';
  }

  static async start(): Promise<BenchPostgres> {
    const prefix = `brms_bench_${process.pid}`;
    const external = process.env.DATABASE_URL;
    if (external) return new BenchPostgres(external, prefix, undefined, undefined);

    const dir = mkdtempSync(join(tmpdir(), 'brms-bench-pg-'));
    chmodSync(dir, 0o755); // PostgreSQL runs as the postgres user when we are root
    const dataDir = join(dir, 'data');
    let server = await startEmbeddedPostgres(dataDir, { persistent: true });
    // pg_stat_statements must be preloaded, which takes a restart.
    await withClient(server.url, (c) =>
      c.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`),
    );
    await server.stop();
    server = await startEmbeddedPostgres(dataDir, { persistent: true });
    return new BenchPostgres(server.url, prefix, server, dataDir);
  }

  /** PID of the embedded server's postmaster (its backends are its children); undefined otherwise. */
  get postmasterPid(): number | undefined {
    if (!this.dataDir || !this.embedded) return undefined;
    try {
      const pid = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  get templateName(): string {
    return `${this.prefix}_template`;
  }

  /** Migrates the template database (entities and the pg-boss schema). */
  async prepareTemplate(): Promise<void> {
    const name = this.templateName;
    await withClient(this.adminUrl, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${name}`);
    });
    this.databases.push(name);
    const url = withDatabase(this.adminUrl, name);
    const dataSource = new DataSource(dataSourceOptions(url, 1));
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.destroy();
    const boss = new PgBoss({
      connectionString: url,
      schema: MAIL_QUEUE_SCHEMA,
      max: 1,
      migrate: true,
      supervise: false,
      schedule: false,
    });
    boss.on('error', (error: Error) => console.error(error));
    await boss.start();
    for (const { name, ...options } of INVITATION_EMAIL_QUEUES)
      await boss.createQueue(name, options);
    await boss.stop({ graceful: false, close: true });
    this.statements = await withClient(url, async (c) => {
      try {
        await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
        await c.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
        return true;
      } catch {
        return false;
      }
    });
  }

  /** A fresh database copied from the template; returns its URL. */
  async createDatabase(label: string): Promise<string> {
    const name = `${this.prefix}_${++this.sequence}_${label.replace(/[^a-z0-9]/gi, '_')}`;
    await withClient(this.adminUrl, (c) =>
      c.query(`CREATE DATABASE ${name} TEMPLATE ${this.templateName}`),
    );
    this.databases.push(name);
    return withDatabase(this.adminUrl, name);
  }

  /** Stops the embedded server (its files stay, for a restart) or drops this run's databases. */
  async stop(): Promise<void> {
    if (this.dataDir) {
      await this.embedded?.stop();
      this.embedded = undefined;
      return;
    }
    await withClient(this.adminUrl, async (c) => {
      for (const name of this.databases.reverse()) {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
    });
  }
}

/** Organisation with an active owner, straight into the database (as test/kit/auth.ts seedMember). */
export async function seedOwner(
  url: string,
  email = 'owner@bench.test',
): Promise<{ organisationId: string; userId: string }> {
  return withClient(url, async (c) => {
    const organisationId = (
      await c.query<{ id: string }>(
        `INSERT INTO organisations (name) VALUES ('Bench') RETURNING id`,
      )
    ).rows[0].id;
    const userId = (
      await c.query<{ id: string }>(
        `INSERT INTO users (email) VALUES ($1)
         ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id`,
        [email],
      )
    ).rows[0].id;
    await c.query(
      `INSERT INTO organisation_members (organisation_id, user_id, type, status)
       VALUES ($1, $2, 'owner', 'active')`,
      [organisationId, userId],
    );
    return { organisationId, userId };
  });
}

export interface StatementStat {
  /** PostgreSQL's fingerprint of the parsed statement: equal for the same statement however written. */
  queryId: string;
  query: string;
  calls: number;
  /** Calls divided by the requests the phase measured. */
  perRequest: number;
  meanMs: number;
}

/**
 * A statement's text with its constants and parameters alike read as `?`: how the bench compares
 * the two sides' statements. With prepared statements, PostgreSQL 18's pg_stat_statements filed
 * one statement under two query ids in a phase, one of them with its constants as parameters
 * (`'invited'`, `NULL`, `1`, `false` as `$4`…), so neither the id nor the text compares.
 */
export function statementShape(query: string): string {
  return query.replace(/'(?:[^']|'')*'|\$\d+|\b(?:NULL|TRUE|FALSE)\b|\b\d+\b/gi, '?');
}

/**
 * Flushes what earlier phases wrote, before a measured phase: otherwise the checkpoint their WAL
 * triggers lands in whichever phase runs next (the service's, in a round that starts with the
 * baseline) and is billed to it. Needs a superuser (the embedded server's, or pg_checkpoint).
 */
export async function checkpoint(url: string): Promise<void> {
  await withClient(url, (c) => c.query('CHECKPOINT')).catch((error: unknown) => {
    console.error(`CHECKPOINT before a measured phase failed (measuring anyway): ${String(error)}`);
  });
}

export async function resetStatements(url: string): Promise<void> {
  await withClient(url, (c) =>
    c.query(
      `SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`,
    ),
  );
}

/** What the database executed since the last reset, per statement, busiest first. */
export async function readStatements(url: string, requests: number): Promise<StatementStat[]> {
  const rows = await withClient(url, (c) =>
    c.query<{ queryid: string; query: string; calls: string; mean: number }>(
      `SELECT queryid::text, query, calls, mean_exec_time AS mean FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT LIKE '%pg_stat_statements%'
        ORDER BY calls DESC`,
    ),
  );
  return rows.rows.map((r) => ({
    queryId: r.queryid,
    query: r.query.replace(/\s+/g, ' ').trim(),
    calls: Number(r.calls),
    perRequest: Number(r.calls) / Math.max(1, requests),
    meanMs: r.mean,
  }));
}
