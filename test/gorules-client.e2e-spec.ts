import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { gorulesClient, type GoRulesClient } from './kit/gorules-client.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

describe('the generated GoRules client (test/kit/gorules-client.ts)', () => {
  it('is typed from the committed reference: test/kit/gorules-api.d.ts is regenerated unchanged', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gorules-api-')), 'gorules-api.d.ts');
    execFileSync(
      'node_modules/.bin/openapi-typescript',
      ['openapi/gorules-reference.yaml', '-o', out],
      {
        stdio: 'pipe',
      },
    );
    // Run `npm run openapi:client` after changing openapi/gorules-reference.yaml.
    expect(readFileSync('test/kit/gorules-api.d.ts', 'utf8')).toBe(readFileSync(out, 'utf8'));
  });

  describe('rejects an answer that breaks GoRules’ contract', () => {
    const answering =
      (body: string | null, init: ResponseInit): typeof fetch =>
      () =>
        Promise.resolve(new Response(body, init));
    const json = { headers: { 'content-type': 'application/json' } };

    it('a body outside the declared schema', async () => {
      const client = gorulesClient('http://127.0.0.1:9', undefined, {
        fetch: answering(JSON.stringify({ results: [{ status: 'revoked' }], paginate: {} }), json),
      });
      await expect(client.GET('/api/invitations')).rejects.toThrow(
        /does not match GoRules' schema/,
      );
    });

    it('a status GoRules does not declare, when it is not an error', async () => {
      const client = gorulesClient('http://127.0.0.1:9', undefined, {
        fetch: answering(null, { status: 204 }),
      });
      await expect(
        client.DELETE('/api/users/{userId}/invitation', {
          params: { path: { userId: '00000000-0000-4000-8000-000000000000' } },
        }),
      ).rejects.toThrow(/declares no 204 answer/);
    });

    it('an error that is not problem+json', async () => {
      const client = gorulesClient('http://127.0.0.1:9', undefined, {
        fetch: answering('<h1>oops</h1>', {
          status: 500,
          headers: { 'content-type': 'text/html' },
        }),
      });
      await expect(client.GET('/api/invitations')).rejects.toThrow(/problem\+json/);
    });
  });

  describe('against the service', () => {
    let t: TestApp;
    let owner: Member;
    let client: GoRulesClient;

    beforeAll(async () => {
      t = await createTestApp();
      owner = await seedMember(t.dataSource, { email: 'owner@client.test' });
      client = gorulesClient(t.url, await authHeader(owner));
    });
    afterAll(async () => {
      await t?.close();
    });

    it('invites, sends again, lists and revokes, each answer as GoRules declares it', async () => {
      const invited = await client.POST('/api/users', {
        body: { emails: ['ana@client.test', 'ben@client.test'] },
      });
      expect(invited.response.status).toBe(200);
      const [ana, ben] = invited.data!;
      expect([ana.email, ben.email]).toEqual(['ana@client.test', 'ben@client.test']);

      const sent = await client.POST('/api/users/{userId}/invitation', {
        params: { path: { userId: ana.userId } },
      });
      expect(sent.response.status).toBe(200);
      expect(sent.data).toMatchObject({ email: 'ana@client.test', status: 'pending' });

      const revoked = await client.DELETE('/api/users/{userId}/invitation', {
        params: { path: { userId: ben.userId } },
      });
      expect(revoked.response.status).toBe(200);

      const listed = await client.GET('/api/invitations', { params: { query: { perPage: 10 } } });
      expect(listed.data!.results.map((item) => item.email)).toEqual(['ana@client.test']);
      expect(listed.data!.paginate).toMatchObject({ current: 1, total: 1 });
    });

    it('answers a refusal as problem+json, which the client hands back as `error`', async () => {
      const anonymous = gorulesClient(t.url);
      const { error, response } = await anonymous.GET('/api/invitations');
      expect(response.status).toBe(401);
      expect(error).toMatchObject({ status: 401 });
    });
  });
});
