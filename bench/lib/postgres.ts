import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  startEmbeddedPostgres,
  type EmbeddedServer,
} from '../../src/database/embedded-postgres.js';

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The first column of the first row of `sql`. */
export async function queryValue<T>(url: string, sql: string, values: unknown[] = []) {
  return withClient(url, async (c) => {
    const { rows } = await c.query<Record<string, T>>(sql, values);
    return Object.values(rows[0])[0];
  });
}

/**
 * The PostgreSQL of one bench run: DATABASE_URL's server, else an embedded one in a temp
 * directory with pg_stat_statements loaded. Every phase gets its own database copied from a
 * migrated template, so phases start alike and never see each other's rows or queued jobs.
 */
export class BenchPostgres {
  private readonly databases: string[] = [];
  private sequence = 0;
  private readonly template = `brms_bench_${process.pid}_template`;
  /** Whether pg_stat_statements can be read (preloaded on the server). */
  statements = false;

  private constructor(
    readonly adminUrl: string,
    private readonly embedded?: EmbeddedServer,
    private readonly dir?: string,
  ) {}

  static async start(): Promise<BenchPostgres> {
    if (process.env.DATABASE_URL) return new BenchPostgres(process.env.DATABASE_URL);
    const dir = mkdtempSync(join(tmpdir(), 'brms-bench-pg-'));
    chmodSync(dir, 0o755); // PostgreSQL runs as the postgres user when we are root
    let server = await startEmbeddedPostgres(join(dir, 'data'), { persistent: true });
    // pg_stat_statements must be preloaded, which takes a restart.
    await withClient(server.url, (c) =>
      c.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`),
    );
    await server.stop();
    server = await startEmbeddedPostgres(join(dir, 'data'), { persistent: true });
    return new BenchPostgres(server.url, server, dir);
  }

  /** Creates the template and has `migrate` install the schema in it (the service, at its start). */
  async prepareTemplate(migrate: (url: string) => Promise<void>): Promise<void> {
    await withClient(this.adminUrl, (c) => c.query(`CREATE DATABASE ${this.template}`));
    this.databases.push(this.template);
    const url = this.url(this.template);
    await migrate(url);
    this.statements = await withClient(url, (c) =>
      c
        .query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
        .then(() => c.query('SELECT 1 FROM pg_stat_statements LIMIT 1'))
        .then(
          () => true,
          () => false,
        ),
    );
  }

  /** A fresh database copied from the template; returns its URL. */
  async createDatabase(label: string): Promise<string> {
    const name = `${this.template.replace(/template$/, '')}${++this.sequence}_${label}`;
    await withClient(this.adminUrl, (c) =>
      c.query(`CREATE DATABASE ${name} TEMPLATE ${this.template}`),
    );
    this.databases.push(name);
    return this.url(name);
  }

  /** Stops the embedded server and removes its files, or drops this run's databases. */
  async stop(): Promise<void> {
    if (this.embedded) {
      await this.embedded.stop();
      return;
    }
    await withClient(this.adminUrl, async (c) => {
      for (const name of this.databases.reverse()) {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
    });
  }

  get tempDir(): string | undefined {
    return this.dir;
  }

  private url(database: string): string {
    const parsed = new URL(this.adminUrl);
    parsed.pathname = `/${database}`;
    return parsed.toString();
  }
}

/** Organisation with an active owner, straight into the database (as test/kit/auth.ts seedMember). */
export async function seedOwner(url: string): Promise<{ organisationId: string; userId: string }> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ organisation_id: string; user_id: string }>(
      `WITH o AS (INSERT INTO organisations (name) VALUES ('Bench') RETURNING id),
            u AS (INSERT INTO users (email) VALUES ('owner@bench.test') RETURNING id)
       INSERT INTO organisation_members (organisation_id, user_id, type, status)
       SELECT o.id, u.id, 'owner', 'active' FROM o, u RETURNING organisation_id, user_id`,
    );
    return { organisationId: rows[0].organisation_id, userId: rows[0].user_id };
  });
}

/**
 * Flushes what earlier phases wrote before a measured one; otherwise the checkpoint their WAL
 * triggers lands in whichever phase runs next. Needs a superuser (or pg_checkpoint).
 */
export async function checkpoint(url: string): Promise<void> {
  await withClient(url, (c) => c.query('CHECKPOINT')).catch((error: unknown) => {
    console.error(`CHECKPOINT before a measured phase failed (measuring anyway): ${String(error)}`);
  });
}

export async function resetStatements(url: string): Promise<void> {
  await queryValue(
    url,
    `SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`,
  );
}

/**
 * Statements executed in this database since the last reset, by shape, with their calls per
 * request; only those issued at least once per two requests (the request path, not start-up).
 */
export async function hotStatements(url: string, requests: number): Promise<Map<string, number>> {
  const { rows } = await withClient(url, (c) =>
    c.query<{ query: string; calls: string }>(
      `SELECT query, calls FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT LIKE '%pg_stat_statements%'`,
    ),
  );
  const perRequest = new Map<string, number>();
  for (const { query, calls } of rows) {
    const shape = statementShape(query.replace(/\s+/g, ' ').trim());
    perRequest.set(shape, (perRequest.get(shape) ?? 0) + Number(calls) / requests);
  }
  for (const [shape, n] of perRequest) if (n < 0.5) perRequest.delete(shape);
  return perRequest;
}

/**
 * A statement's text with its constants and parameters alike read as `?`. With prepared
 * statements, pg_stat_statements can file one statement under two query ids, one with its
 * constants as parameters (`'invited'`, `NULL`, `1`, `false` as `$4`…), so neither id nor text
 * compares.
 */
export function statementShape(query: string): string {
  return query.replace(/'(?:[^']|'')*'|\$\d+|\b(?:NULL|TRUE|FALSE)\b|\b\d+\b/gi, '?');
}
