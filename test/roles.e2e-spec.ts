import { execFile } from 'node:child_process';
import { CLI_ENTRY, cleanEnv, freshWorkdir, removeWorkdir } from './browser/dev-server.js';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { gorulesClient } from './kit/gorules-client.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI (`npm test` has built already), as `npm run cli -- <args>` runs it. */
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

describe('cli role create, and the roles updateUser assigns', () => {
  let t: TestApp;
  let owner: Member;
  let workdir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    t = await createTestApp();
    owner = await seedMember(t.dataSource, {
      email: 'owner@roles.test',
      organisationName: 'Roles',
    });
    workdir = freshWorkdir('brms-cli-roles-');
    env = cleanEnv({
      DATABASE_URL: process.env.DATABASE_URL!,
      INTERNAL_AUTH_SECRET: process.env.INTERNAL_AUTH_SECRET!,
    });
  });
  afterAll(async () => {
    await t?.close();
    removeWorkdir(workdir);
  });

  it('prints the id of the new role, which updateUser then assigns', async () => {
    const result = await runCli(
      [
        'role',
        'create',
        '--org',
        owner.organisationId,
        '--name',
        ' Editors ',
        '--description',
        'Edit rules',
      ],
      workdir,
      env,
    );
    expect(result).toMatchObject({ code: 0 });
    const id = result.stdout.trim();
    expect(id).toMatch(UUID);
    expect(result.stdout).toBe(`${id}\n`);
    const plain = await runCli(
      ['role', 'create', '--org', owner.organisationId, '--name', 'Viewers'],
      workdir,
      env,
    );
    const viewers = plain.stdout.trim();

    const member = await seedMember(t.dataSource, {
      email: 'member@roles.test',
      organisationId: owner.organisationId,
      type: 'member',
    });
    const updated = await gorulesClient(t.url, await authHeader(owner)).PUT('/api/users/{userId}', {
      params: { path: { userId: member.userId } },
      body: { roles: [id, viewers] },
    });
    expect(updated.response.status).toBe(200);
    expect(updated.data!.roles).toEqual([
      { id, name: 'Editors', description: 'Edit rules' },
      { id: viewers, name: 'Viewers' },
    ]);
  }, 60_000);

  it('refuses a second role of the same name in any case, and an unknown organisation', async () => {
    await runCli(
      ['role', 'create', '--org', owner.organisationId, '--name', 'Auditors'],
      workdir,
      env,
    );
    const again = await runCli(
      ['role', 'create', '--org', owner.organisationId, '--name', 'AUDITORS'],
      workdir,
      env,
    );
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toContain(
      `organisation ${owner.organisationId} has a role named "AUDITORS" already`,
    );
    // The same name in another organisation is another role.
    const other = await seedMember(t.dataSource, {
      email: 'o@other.test',
      organisationName: 'Other',
    });
    const elsewhere = await runCli(
      ['role', 'create', '--org', other.organisationId, '--name', 'Auditors'],
      workdir,
      env,
    );
    expect(elsewhere.code).toBe(0);

    const unknown = '00000000-0000-4000-8000-000000000000';
    const nowhere = await runCli(['role', 'create', '--org', unknown, '--name', 'X'], workdir, env);
    expect(nowhere).toMatchObject({ code: 1, stdout: '' });
    expect(nowhere.stderr).toContain(`no organisation has the id ${unknown}`);
    const rows = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM roles WHERE lower(name) = 'auditors'`,
    );
    expect(rows[0].n).toBe(2);
  }, 60_000);

  it('bootstrap refuses a service account as the owner of a new organisation', async () => {
    const bot = await gorulesClient(t.url, await authHeader(owner)).POST('/api/users/service', {
      body: { email: 'bot@roles.test' },
    });
    expect(bot.response.status).toBe(200);
    const result = await runCli(
      ['bootstrap', '--org', 'Bot Org', '--owner', 'bot@roles.test'],
      workdir,
      env,
    );
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(
      'bot@roles.test is a service account, which cannot own an organisation',
    );
    const rows = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM organisations WHERE name = 'Bot Org'`,
    );
    expect(rows[0].n).toBe(0);
  }, 60_000);

  it('refuses bad input before touching the database', async () => {
    const noDatabase = { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const cases: [string[], string][] = [
      [
        ['role', 'create', '--org', 'acme', '--name', 'X'],
        "option '--org <id>' argument 'acme' is invalid",
      ],
      [
        ['role', 'create', '--org', owner.organisationId, '--name', '  '],
        'role name must be 1 to 100',
      ],
      [
        ['role', 'create', '--org', owner.organisationId],
        "required option '--name <name>' not specified",
      ],
      [
        [
          'role',
          'create',
          '--org',
          owner.organisationId,
          '--name',
          'X',
          '--description',
          'd'.repeat(501),
        ],
        'role description must be at most 500 characters',
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, workdir, noDatabase);
      expect({ args, ...result }).toMatchObject({ args, code: 1, stdout: '' });
      expect(result.stderr).toContain(message);
    }
  }, 60_000);
});
