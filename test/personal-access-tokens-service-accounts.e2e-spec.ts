import { authHeader, mintPat, seedMember, type Member } from './kit/auth.js';
import { gorulesClient, type GoRulesClient } from './kit/gorules-client.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

const TOKEN_FORMAT = /^brms_pat_[0-9A-Za-z]{49}$/;
const NOBODY = '00000000-0000-4000-8000-000000000000';

describe("personal access tokens: a service account's, for owners and admins", () => {
  let t: TestApp;
  let owner: Member;
  let member: Member;
  let api: GoRulesClient;
  let bot: string;
  const as = (authorization: string) => gorulesClient(t.url, authorization);

  beforeAll(async () => {
    t = await createTestApp();
    owner = await seedMember(t.dataSource, {
      email: 'owner@sa-pat.test',
      organisationName: 'Service Tokens',
    });
    member = await seedMember(t.dataSource, {
      email: 'member@sa-pat.test',
      organisationId: owner.organisationId,
      type: 'member',
    });
    api = as(await authHeader(owner));
    const created = await api.POST('/api/users/service', {
      body: { email: 'ci-bot@sa-pat.test', type: 'admin' },
    });
    expect(created.response.status).toBe(200);
    bot = created.data!.id!;
  });
  afterAll(async () => {
    await t?.close();
  });

  const tokensOf = (userId: string) => ({ params: { path: { userId } } });
  const tokenOf = (userId: string, patId: string) => ({ params: { path: { userId, patId } } });
  const createFor = (client: GoRulesClient, userId: string) =>
    client.POST('/api/users/service/{userId}/personal-access-tokens', {
      ...tokensOf(userId),
      body: { note: 'pipeline', allProjects: true, expiry: 'year' },
    });

  it('creates, lists, gets, regenerates and deletes a service account’s token, each audited', async () => {
    const created = await createFor(api, bot);
    expect(created.response.status).toBe(200);
    expect(created.data!.token).toMatch(TOKEN_FORMAT);
    expect(created.data!.user).toMatchObject({ id: bot, isService: true, type: 'admin' });
    const patId = created.data!.id;

    // Reading takes the owner's personal access token too.
    const ownerPat = await mintPat(t.url, owner);
    for (const client of [api, as(ownerPat.header)]) {
      const listed = await client.GET(
        '/api/users/service/{userId}/personal-access-tokens',
        tokensOf(bot),
      );
      expect(listed.response.status).toBe(200);
      expect(listed.data!.map((x) => x.id)).toEqual([patId]);
      expect(listed.data![0]).not.toHaveProperty('token');
      const one = await client.GET(
        '/api/users/service/{userId}/personal-access-tokens/{patId}',
        tokenOf(bot, patId),
      );
      expect(one.response.status).toBe(200);
      expect(one.data).toMatchObject({ id: patId, note: 'pipeline' });
    }
    // The account's tokens are not the caller's own.
    const own = await api.GET('/api/personal-access-tokens');
    expect(own.data!.map((x) => x.id)).not.toContain(patId);

    // The token acts as the service account: an admin, so it lists invitations.
    const asBot = as(`Bearer ${created.data!.token}`);
    expect((await asBot.GET('/api/invitations')).response.status).toBe(200);

    const regenerated = await api.POST(
      '/api/users/service/{userId}/personal-access-tokens/{patId}/regenerate',
      { ...tokenOf(bot, patId), body: { expiry: 'week' } },
    );
    expect(regenerated.response.status).toBe(200);
    expect(regenerated.data!.token).toMatch(TOKEN_FORMAT);
    expect((await asBot.GET('/api/invitations')).response.status).toBe(401);

    const deleted = await api.DELETE(
      '/api/users/service/{userId}/personal-access-tokens/{patId}',
      tokenOf(bot, patId),
    );
    expect(deleted.response.status).toBe(200);
    expect(
      (await as(`Bearer ${regenerated.data!.token}`).GET('/api/invitations')).response.status,
    ).toBe(401);

    const audit = await t.dataSource.query<{ action: string; actor_id: string }[]>(
      `SELECT action, actor_id FROM audit_log WHERE ref_id = $1 ORDER BY created_at, action`,
      [patId],
    );
    expect(audit.map((row) => row.action).sort()).toEqual([
      'personalAccessToken.created',
      'personalAccessToken.deleted',
      'personalAccessToken.regenerated',
    ]);
    for (const row of audit) expect(row.actor_id).toBe(owner.userId);
  });

  it('403 for a member, whatever the operation', async () => {
    const { data } = await createFor(api, bot);
    const memberApi = as(await authHeader(member));
    const attempts = [
      createFor(memberApi, bot),
      memberApi.GET('/api/users/service/{userId}/personal-access-tokens', tokensOf(bot)),
      memberApi.GET(
        '/api/users/service/{userId}/personal-access-tokens/{patId}',
        tokenOf(bot, data!.id),
      ),
      memberApi.DELETE(
        '/api/users/service/{userId}/personal-access-tokens/{patId}',
        tokenOf(bot, data!.id),
      ),
      memberApi.POST('/api/users/service/{userId}/personal-access-tokens/{patId}/regenerate', {
        ...tokenOf(bot, data!.id),
        body: { expiry: 'week' },
      }),
    ];
    for (const { response } of await Promise.all(attempts)) expect(response.status).toBe(403);
  });

  it('404 for a userId that is not a service account of the caller’s organisation', async () => {
    const elsewhere = await seedMember(t.dataSource, {
      email: 'owner@elsewhere-sa.test',
      organisationName: 'Elsewhere',
    });
    const otherBot = await as(await authHeader(elsewhere)).POST('/api/users/service', {
      body: { email: 'other-bot@elsewhere-sa.test' },
    });
    for (const userId of [owner.userId, member.userId, otherBot.data!.id, NOBODY]) {
      const created = await createFor(api, userId);
      expect(created.response.status).toBe(404);
      const listed = await api.GET(
        '/api/users/service/{userId}/personal-access-tokens',
        tokensOf(userId),
      );
      expect(listed.response.status).toBe(404);
    }
    // An own token is not reachable under a service account's path either.
    const ownerPat = await mintPat(t.url, owner);
    const crossed = await api.GET(
      '/api/users/service/{userId}/personal-access-tokens/{patId}',
      tokenOf(bot, ownerPat.id),
    );
    expect(crossed.response.status).toBe(404);
  });

  it('creating, regenerating and deleting take no personal access token', async () => {
    const ownerPat = await mintPat(t.url, owner);
    const { response } = await createFor(as(ownerPat.header), bot);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Internal');
  });
});
