import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import {
  SERVER_ENTRY,
  cleanEnv,
  freshWorkdir,
  linkClone,
  postmasterPid,
  removeWorkdir,
  startDevServer,
} from './browser/dev-server.js';

/** What a person at a terminal meets when starting and stopping the service. */
describe('starting and stopping, as npm start does', () => {
  const workdir = freshWorkdir('brms-start-stop-');
  afterAll(() => removeWorkdir(workdir));

  it('Ctrl-C drains and stops cleanly: exit 0, no ERROR line, PostgreSQL stopped after the app', async () => {
    linkClone(workdir);
    // Through npm, whose process group Ctrl-C signals too: npm must exit 0 as well, not 130.
    const server = await startDevServer(workdir, { viaNpm: true });
    // `grep 'Authorization: '` finds the token and nothing else.
    expect(server.output().match(/^.*Authorization: .*$/gm)).toEqual([
      `Authorization: ${server.authorization}`,
    ]);
    const pgPid = postmasterPid(workdir);
    expect(pgPid).toBeDefined();
    await request(server.url)
      .post('/api/users')
      .set('Authorization', server.authorization)
      .send({ emails: ['before.ctrl-c@example.com'] })
      .expect(200);

    expect(await server.stop()).toBe(0);
    expect(server.output()).not.toMatch(/\bERROR\b/);
    expect(server.output()).toMatch(/Node\.js v24\./);
    expect(() => process.kill(pgPid!, 0)).toThrow();
  }, 120_000);

  describe('with the port taken', () => {
    let taken: Server;
    let port: number;
    beforeAll(async () => {
      taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      port = (taken.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          args,
          { cwd: workdir, env: cleanEnv({ PORT: String(port) }), timeout: 60_000 },
          (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stderr }),
        );
      });
    const npm = (args: string[], cwd: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          'npm',
          args,
          { cwd, env: cleanEnv({ PORT: String(port) }), timeout: 60_000 },
          (error, stdout, stderr) =>
            resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
        );
      });
    const oneLine = () => `port ${port} is in use — is brms-api already running? set PORT\n`;

    it('a second npm start refuses in one line, before it builds: the running build stays', async () => {
      // A clone whose dist/ belongs to a running server; `npm start` must not rebuild under it.
      const clone = freshWorkdir('brms-second-start-');
      try {
        linkClone(clone, ['package.json', 'scripts', 'node_modules']);
        mkdirSync(join(clone, 'dist'));
        writeFileSync(join(clone, 'dist/main.js'), '// the running build\n');

        const result = await npm(['start'], clone);
        expect({ code: result.code, stderr: result.stderr }).toEqual({
          code: 1,
          stderr: oneLine(),
        });
        expect(result.stdout).not.toMatch(/rm -rf|tsc/);
        expect(readFileSync(join(clone, 'dist/main.js'), 'utf8')).toBe('// the running build\n');
      } finally {
        removeWorkdir(clone);
      }
    });

    it('the server itself says so in one line, without a stack trace', async () => {
      const { code, stderr } = await run([SERVER_ENTRY]);
      expect(code).toBe(1);
      expect(stderr).toBe(oneLine());
    });
  });
});
