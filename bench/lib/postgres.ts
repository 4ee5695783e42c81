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
    return Object.values(rows[0] ?? {})[0];
  });
}

/**
 * The PostgreSQL of one bench run: DATABASE_URL's server, else an embedded one in a temp
 * directory with pg_stat_statements loaded. Every phase gets its own database copied from a
 * migrated template, so phases start alike and never see each other's rows or queued jobs.
 */
export class BenchPostgres {
  private readonly databases: string[] = [];
  private readonly prefix = `brms_bench_${process.pid}`;
  /** Whether pg_stat_statements can be read (preloaded on the server). */
  private statements = false;

  private constructor(
    readonly adminUrl: string,
    private readonly embedded?: EmbeddedServer,
    /** The embedded server's directory, removed after the run. */
    readonly dir?: string,
  ) {}

  static async start(): Promise<BenchPostgres> {
    if (process.env.DATABASE_URL) return new BenchPostgres(process.env.DATABASE_URL);
    const dir = mkdtempSync(join(tmpdir(), 'brms-bench-pg-'));
    chmodSync(dir, 0o755); // PostgreSQL runs as the postgres user when we are root
    const server = await startEmbeddedPostgres(join(dir, 'data'), { persistent: true });
    // pg_stat_statements must be preloaded, which takes a restart.
    await queryValue(
      server.url,
      `ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`,
    );
    await server.stop();
    const restarted = await startEmbeddedPostgres(join(dir, 'data'), { persistent: true });
    return new BenchPostgres(restarted.url, restarted, dir);
  }

  /** Creates the template and has `migrate` install the schema in it (the service, at its start). */
  async prepareTemplate(migrate: (url: string) => Promise<void>): Promise<void> {
    const url = await this.createDatabase('template');
    await migrate(url);
    this.statements = await queryValue(url, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
      .then(() => queryValue(url, 'SELECT count(*) FROM pg_stat_statements'))
      .then(
        () => true,
        () => false,
      );
  }

  /** A fresh database copied from the template (the template itself first); returns its URL. */
  async createDatabase(label: string): Promise<string> {
    const name = `${this.prefix}_${this.databases.length}_${label}`;
    const template = this.databases.length ? ` TEMPLATE ${this.databases[0]}` : '';
    await queryValue(this.adminUrl, `CREATE DATABASE ${name}${template}`);
    this.databases.push(name);
    const url = new URL(this.adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** Stops the embedded server, or drops this run's databases. */
  async stop(): Promise<void> {
    if (this.embedded) return this.embedded.stop();
    for (const name of this.databases.reverse()) {
      await queryValue(this.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  }

  async resetStatements(url: string): Promise<void> {
    if (!this.statements) return;
    await queryValue(
      url,
      `SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`,
    );
  }

  /**
   * Calls per request of the statements executed in this database since the reset, by shape;
   * only those issued at least once per two requests (the request path, not start-up or health).
   */
  async hotStatements(url: string, requests: number): Promise<Map<string, number> | undefined> {
    if (!this.statements) return undefined;
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
    return new Map([...perRequest].filter(([, n]) => n >= 0.5));
  }
}

export interface Owner {
  organisationId: string;
  userId: string;
}

/** Organisation with an active owner, straight into the database (as test/kit/auth.ts seedMember). */
export async function seedOwner(url: string): Promise<Owner> {
  const [organisationId, userId] = await queryValue<string[]>(
    url,
    `WITH o AS (INSERT INTO organisations (name) VALUES ('Bench') RETURNING id),
          u AS (INSERT INTO users (email) VALUES ('owner@bench.test') RETURNING id)
     INSERT INTO organisation_members (organisation_id, user_id, type, status)
     SELECT o.id, u.id, 'owner', 'active' FROM o, u RETURNING ARRAY[organisation_id, user_id]`,
  );
  return { organisationId, userId };
}

/**
 * Flushes what earlier phases wrote before a measured one; otherwise the checkpoint their WAL
 * triggers lands in whichever phase runs next. Needs a superuser (or pg_checkpoint).
 */
export async function checkpoint(url: string): Promise<void> {
  await queryValue(url, 'CHECKPOINT').catch((error: unknown) => {
    console.error(`CHECKPOINT before a measured phase failed (measuring anyway): ${String(error)}`);
  });
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
