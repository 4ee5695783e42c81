import { execFile } from 'node:child_process';
import request from 'supertest';
import { CLI_ENTRY, cleanEnv, freshWorkdir, removeWorkdir } from './browser/dev-server.js';
import { seedMember, type Member } from './kit/auth.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

/** `npm run cli -- <args>` without the build step (`npm test` has built already). */
function runCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

describe('cli token --pat', () => {
  let t: TestApp;
  let owner: Member;
  let workdir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    t = await createTestApp();
    owner = await seedMember(t.dataSource, { email: 'owner@pat-cli.test' });
    workdir = freshWorkdir('brms-cli-pat-');
    env = cleanEnv({
      DATABASE_URL: process.env.DATABASE_URL!,
      INTERNAL_AUTH_SECRET: process.env.INTERNAL_AUTH_SECRET!,
    });
  });
  afterAll(async () => {
    await t?.close();
    removeWorkdir(workdir);
  });

  const pat = (...extra: string[]) =>
    runCli(
      ['token', '--org', owner.organisationId, '--user', owner.userId, '--pat', ...extra],
      workdir,
      env,
    );

  it('prints only a personal access token, which the API takes and lists', async () => {
    const result = await pat('--note', 'deploy pipeline', '--expiry', 'indefinite');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^brms_pat_[0-9A-Za-z]{49}\n$/);
    const token = result.stdout.trim();
    const res = await request(t.server)
      .get('/api/personal-access-tokens')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(res.body).toEqual([
      expect.objectContaining({ note: 'deploy pipeline', allProjects: true, expiresAt: null }),
    ]);
    const audit = await t.dataSource.query<{ actor_id: string | null }[]>(
      `SELECT actor_id FROM audit_log WHERE action = 'personalAccessToken.created'`,
    );
    expect(audit).toEqual([{ actor_id: null }]);
  }, 60_000);

  it('refuses --ttl with --pat, an unknown expiry and a non-member, printing nothing', async () => {
    for (const result of [
      await pat('--ttl', '1h'),
      await pat('--expiry', 'forever'),
      await runCli(
        [
          'token',
          '--org',
          owner.organisationId,
          '--user',
          '00000000-0000-4000-8000-000000000000',
          '--pat',
        ],
        workdir,
        env,
      ),
    ]) {
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toContain('error:');
    }
  }, 60_000);
});
