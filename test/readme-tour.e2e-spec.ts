import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import {
  cleanEnv,
  freePort,
  freshWorkdir,
  linkClone,
  removeWorkdir,
  startDevServer,
  type DevServer,
} from './browser/dev-server.js';

/** The first ```sh block under "## A 60-second tour" in README.md, as a reader copies it. */
function tourFromReadme(): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## A 60-second tour'));
  const block = /```sh\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)));
  if (!block) throw new Error('README.md has no ```sh block in its tour');
  return block[1];
}

/**
 * The outputs the tour shows as comments (`# [{…}]`, `# {…}`, `# .data/…`), as whole-line
 * patterns where `…` stands for anything.
 */
function shownOutputs(tour: string): RegExp[] {
  return tour
    .split('\n')
    .filter((line) => /^# [[{.]/.test(line))
    .map((line) => {
      const escaped = line.slice(2).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return new RegExp(`^${escaped.replaceAll('…', '[^\\n]*')}$`, 'm');
    });
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    // -e and pipefail: a line that fails fails the tour, as a reader would see it fail.
    execFile(
      'bash',
      ['-e', '-o', 'pipefail', '-c', script],
      { cwd, env, timeout: 60_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) =>
        done({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

/**
 * The README's tour pasted into a shell next to a running server, in a directory standing in for
 * a fresh clone (its package.json, the build, node_modules; `.data/` is created inside). The only
 * change to the pasted text is the port, since 3000 may be taken on the machine running the tests.
 */
describe("the README's tour, pasted as written", () => {
  const workdir = freshWorkdir('brms-tour-');
  linkClone(workdir, ['package.json', 'node_modules', 'dist', 'scripts']);
  let server: DevServer | undefined;

  afterAll(async () => {
    await server?.stop();
    removeWorkdir(workdir);
  }, 60_000);

  it('runs line by line and shows what it says; the emailed link opens the page and joins', async () => {
    server = await startDevServer(workdir, { port: await freePort() });
    const port = new URL(server.url).port;
    // The first token is not buried under Nest's boot narration.
    expect(server.output()).not.toMatch(/InstanceLoader|RoutesResolver|RouterExplorer/);

    const tour = tourFromReadme();
    expect(tour).toContain('http://localhost:3000/');
    const result = await bash(
      tour.replaceAll('http://localhost:3000/', `http://localhost:${port}/`),
      workdir,
      cleanEnv(),
    );
    // stderr carries the CLI's notes (which PostgreSQL it used); it shows here should a line fail.
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: expect.not.stringMatching(/error|cannot|no such/i),
    });
    const outputs = shownOutputs(tour);
    expect(outputs.length).toBeGreaterThanOrEqual(3);
    for (const shown of outputs) expect(result.stdout).toMatch(shown);

    // The email the tour listed, opened as its recipient would: the link leads to the page.
    const [file] = readdirSync(join(workdir, '.data/mail')).filter((f) => f.endsWith('.eml'));
    const email = await simpleParser(readFileSync(join(workdir, '.data/mail', file)));
    expect(email.to).toMatchObject({ text: 'new.colleague@example.com' });
    const link = new URL(/http:\/\/\S+\/invitations\/accept\?token=\S+/.exec(email.text!)![0]);
    expect(link.origin).toBe(`http://localhost:${port}`);
    const token = link.searchParams.get('token')!;

    const page = await request(server.url).get(`${link.pathname}${link.search}`).expect(200);
    expect(page.text).toContain('<strong>Acme</strong>');
    expect(page.text).toContain('owner@acme.test');
    const joined = await request(server.url)
      .post('/invitations/accept')
      .type('form')
      .send({ token })
      .expect(200);
    expect(joined.text).toContain('You are now a member of <strong>Acme</strong>');

    // The secret link was requested twice and posted once: no log line holds the token.
    await new Promise((r) => setTimeout(r, 300));
    expect(server.output()).toMatch(/GET \/invitations\/accept\?token=\[Redacted\] 200/);
    expect(server.output()).not.toContain(token);
    // Nor any personal access token, nor even its prefix (the tour sent one as Bearer).
    expect(server.output()).not.toContain('brms_pat_');
    expect(await server.stop()).toBe(0);
    expect(server.output()).not.toMatch(/\bERROR\b/);
  }, 180_000);
});
