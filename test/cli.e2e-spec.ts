import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import request from 'supertest';
import {
  CLI_ENTRY,
  cleanEnv,
  freshWorkdir,
  postmasterPid,
  removeWorkdir,
  startDevServer,
  type DevServer,
} from './browser/dev-server.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run cli -- <args>` without the build step (`npm test` has built already). */
function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_ENTRY, ...args],
      { cwd, env, timeout: 60_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function claims(token: string): { sub: string; org: string; iat: number; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/** The JSON `bootstrap` printed: nothing else may be on stdout. */
function bootstrapOutput(result: CliResult): {
  organisationId: string;
  userId: string;
  token: string;
} {
  expect(result).toMatchObject({ code: 0 });
  const output = JSON.parse(result.stdout);
  expect(Object.keys(output).sort()).toEqual(['organisationId', 'token', 'userId']);
  expect(output.organisationId).toMatch(UUID);
  expect(output.userId).toMatch(UUID);
  return output;
}

it('`npm run cli` runs the build as it is, compiling nothing', async () => {
  // A clone whose build is a stand-in CLI: no sources, no tsconfig, so compiling would fail.
  const clone = freshWorkdir('brms-cli-script-');
  try {
    for (const entry of ['package.json', 'node_modules']) {
      symlinkSync(resolve(entry), join(clone, entry));
    }
    mkdirSync(join(clone, 'dist/src/cli'), { recursive: true });
    writeFileSync(
      join(clone, 'dist/src/cli/main.js'),
      "console.log('the built CLI', process.argv.slice(2).join(' '));\n",
    );
    const result = await new Promise<CliResult>((done) => {
      execFile(
        'npm',
        ['run', '-s', 'cli', '--', 'token', '--help'],
        { cwd: clone, env: cleanEnv(), timeout: 60_000 },
        (error, stdout, stderr) =>
          done({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
    expect(result).toEqual({ code: 0, stdout: 'the built CLI token --help\n', stderr: '' });
  } finally {
    removeWorkdir(clone);
  }
});

describe('CLI against DATABASE_URL', () => {
  let t: TestApp;
  let workdir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    t = await createTestApp();
    workdir = freshWorkdir('brms-cli-url-');
    env = cleanEnv({
      DATABASE_URL: process.env.DATABASE_URL!,
      INTERNAL_AUTH_SECRET: process.env.INTERNAL_AUTH_SECRET!,
    });
  });
  afterAll(async () => {
    await t?.close();
    removeWorkdir(workdir);
  });

  const invite = (authorization: string, email: string) =>
    request(t.server)
      .post('/api/users')
      .set('Authorization', authorization)
      .send({ emails: [email] });

  it('bootstrap creates the organisation and its owner and prints JSON whose token the API accepts', async () => {
    const result = await runCli(
      ['bootstrap', '--org', 'Acme', '--owner', 'Owner@Acme.test'],
      workdir,
      env,
    );
    const { organisationId, userId, token } = bootstrapOutput(result);

    const rows = await t.dataSource.query(
      `SELECT o.name, u.email, m.type, m.status FROM organisation_members m
       JOIN organisations o ON o.id = m.organisation_id JOIN users u ON u.id = m.user_id
       WHERE m.organisation_id = $1 AND m.user_id = $2`,
      [organisationId, userId],
    );
    expect(rows).toEqual([
      { name: 'Acme', email: 'owner@acme.test', type: 'owner', status: 'active' },
    ]);
    expect(claims(token)).toMatchObject({ sub: userId, org: organisationId });
    expect(claims(token).exp - claims(token).iat).toBe(3600);

    const res = await invite(`Internal ${token}`, 'first@acme.test').expect(200);
    expect(res.body).toEqual([expect.objectContaining({ email: 'first@acme.test' })]);
  }, 60_000);

  it('token mints a token for a member, with the lifetime asked for', async () => {
    const owner = bootstrapOutput(
      await runCli(['bootstrap', '--org', 'Beta', '--owner', 'owner@beta.test'], workdir, env),
    );
    const result = await runCli(
      ['token', '--org', owner.organisationId, '--user', owner.userId, '--ttl', '90s'],
      workdir,
      env,
    );
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    expect(result.stdout).toBe(`${token}\n`);
    expect(claims(token)).toMatchObject({ sub: owner.userId, org: owner.organisationId });
    expect(claims(token).exp - claims(token).iat).toBe(90);
    await invite(`Internal ${token}`, 'second@beta.test').expect(200);
  }, 60_000);

  it('token refuses a user who is not an active member, printing nothing on stdout', async () => {
    const owner = bootstrapOutput(
      await runCli(['bootstrap', '--org', 'Gamma', '--owner', 'owner@gamma.test'], workdir, env),
    );
    const stranger = '00000000-0000-4000-8000-000000000000';
    const result = await runCli(
      ['token', '--org', owner.organisationId, '--user', stranger],
      workdir,
      env,
    );
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(
      `user ${stranger} is not an active member of organisation ${owner.organisationId}`,
    );
  }, 60_000);

  it('bootstrap refuses a second organisation of the same name, in any case, creating nothing', async () => {
    const first = bootstrapOutput(
      await runCli(['bootstrap', '--org', 'Epsilon', '--owner', 'a@epsilon.test'], workdir, env),
    );
    const again = await runCli(
      ['bootstrap', '--org', 'Epsilon', '--owner', 'b@epsilon.test'],
      workdir,
      env,
    );
    const otherCase = await runCli(
      ['bootstrap', '--org', 'EPSILON', '--owner', 'c@epsilon.test'],
      workdir,
      env,
    );
    for (const refused of [again, otherCase]) {
      expect(refused).toMatchObject({ code: 1, stdout: '' });
      expect(refused.stderr).toContain(
        `an organisation named "Epsilon" exists already (${first.organisationId})`,
      );
    }
    const rows = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM organisations WHERE lower(name) = 'epsilon'`,
    );
    expect(rows[0].n).toBe(1);
  }, 60_000);

  it('refuses bad input before touching the database, with a message and exit code 1', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const cases: [string[], string][] = [
      [
        ['bootstrap', '--org', 'Acme', '--owner', 'not-an-email'],
        'owner email must be a valid email address',
      ],
      [['bootstrap', '--org', '  ', '--owner', 'a@b.test'], 'organisation name must be 1 to 200'],
      [['bootstrap', '--org', 'Acme'], "required option '--owner <email>' not specified"],
      [['token', '--org', 'acme', '--user', id], "option '--org <id>' argument 'acme' is invalid"],
      [
        ['token', '--org', id, '--user', id, '--ttl', 'forever'],
        "option '--ttl <duration>' argument 'forever' is invalid",
      ],
      [['token', '--org', id, '--user', id, '--ttl', '31d'], 'from 1s to 30d'],
    ];
    // No database at all: a refusal must not depend on reaching one.
    const noDatabase = { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    for (const [args, message] of cases) {
      const result = await runCli(args, workdir, noDatabase);
      expect({ args, ...result }).toMatchObject({ args, code: 1, stdout: '' });
      expect(result.stderr).toContain(message);
    }
  }, 60_000);
});

describe('CLI and npm start with the embedded default', () => {
  // A directory standing in for a fresh clone: no DATABASE_URL, .data/ created inside it.
  const workdir = freshWorkdir('brms-cli-embedded-');
  const env = cleanEnv();
  let server: DevServer | undefined;

  afterAll(async () => {
    await server?.stop();
    removeWorkdir(workdir);
  }, 60_000);

  it('starts PostgreSQL for the command when nothing runs, and stops it afterwards', async () => {
    const first = await runCli(
      ['bootstrap', '--org', 'Acme', '--owner', 'owner@acme.test'],
      workdir,
      env,
    );
    const owner = bootstrapOutput(first);
    expect(first.stderr).toContain('Started the embedded PostgreSQL');
    expect(postmasterPid(workdir)).toBeUndefined();

    // The data stayed: a second command (another server start) finds the member.
    const second = await runCli(
      ['token', '--org', owner.organisationId, '--user', owner.userId],
      workdir,
      env,
    );
    expect(second.code).toBe(0);
    expect(claims(second.stdout.trim())).toMatchObject({ sub: owner.userId });
    expect(postmasterPid(workdir)).toBeUndefined();
  }, 120_000);

  it('uses the PostgreSQL that npm start runs on the same .data/, and the server accepts its token', async () => {
    server = await startDevServer(workdir);
    const pid = postmasterPid(workdir);
    expect(pid).toBeDefined();

    const result = await runCli(
      ['bootstrap', '--org', 'Delta', '--owner', 'owner@delta.test'],
      workdir,
      env,
    );
    const { token } = bootstrapOutput(result);
    expect(result.stderr).toContain('Using the embedded PostgreSQL already running');
    // Same server as before, still running: the CLI neither started a second one nor stopped it.
    expect(postmasterPid(workdir)).toBe(pid);

    const res = await request(server.url)
      .post('/api/users')
      .set('Authorization', `Internal ${token}`)
      .send({ emails: ['invitee@delta.test'] })
      .expect(200);
    expect(res.body).toEqual([expect.objectContaining({ email: 'invitee@delta.test' })]);
    await request(server.url).get('/api/health/ready').expect(200);

    // One log line for the request, without the token.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.output()).toMatch(/POST \/api\/users 200 \d+ms/);
    expect(server.output()).not.toContain(token);
  }, 120_000);

  it('creates the demo organisation once; every start prints a working Authorization value', async () => {
    const firstStart = server!;
    expect(firstStart.output()).toContain('(created on this first start)');
    await firstStart.stop();
    server = undefined;

    server = await startDevServer(workdir);
    expect(server.output()).toContain('(created on an earlier start)');
    await request(server.url)
      .post('/api/users')
      .set('Authorization', server.authorization)
      .send({ emails: ['demo-invitee@example.com'] })
      .expect(200);
    // The earlier start's value is still valid too (a day), and names the same organisation.
    expect(claims(server.authorization.split(' ')[1]).org).toBe(
      claims(firstStart.authorization.split(' ')[1]).org,
    );
  }, 120_000);
});
