import { createHash } from 'node:crypto';
import { authHeader, mintPat, seedMember, type Member } from './kit/auth.js';
import { TestClock } from './kit/clock.js';
import { gorulesClient, type GoRulesClient } from './kit/gorules-client.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

const DAY = 24 * 3600 * 1000;
const START = new Date(Math.floor(Date.now() / 1000) * 1000);
const TOKEN_FORMAT = /^brms_pat_[0-9A-Za-z]{49}$/;
const PROJECT = '0f8fad5b-d9cb-469f-a165-70867728950e';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

type CreateBody = {
  note: string;
  allProjects: boolean;
  expiry: 'week' | 'month' | 'three_months' | 'year' | 'indefinite';
  projects?: string[];
  permissions?: 'releases'[];
};

describe('personal access tokens: the caller’s own, through a GoRules client', () => {
  let t: TestApp;
  let owner: Member;
  let member: Member;
  /** The owner's GoRules client with an internal token. */
  let api: GoRulesClient;
  let internal: string;
  const clock = new TestClock(START);
  const as = (authorization: string) => gorulesClient(t.url, authorization);

  beforeAll(async () => {
    t = await createTestApp({ clock });
    owner = await seedMember(t.dataSource, {
      email: 'owner@pat.test',
      organisationName: 'Pat Org',
      firstName: 'Olive',
    });
    member = await seedMember(t.dataSource, {
      email: 'member@pat.test',
      organisationId: owner.organisationId,
      type: 'member',
    });
    internal = await authHeader(owner, { expiresIn: 400 * 24 * 3600 });
    api = as(internal);
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = (body: CreateBody, client = api) =>
    client.POST('/api/personal-access-tokens', { body: body as never });
  const list = (client: GoRulesClient) => client.GET('/api/personal-access-tokens');
  const get = (client: GoRulesClient, patId: string) =>
    client.GET('/api/personal-access-tokens/{patId}', { params: { path: { patId } } });
  const regenerate = (client: GoRulesClient, patId: string, expiry: CreateBody['expiry']) =>
    client.POST('/api/personal-access-tokens/{patId}/regenerate', {
      params: { path: { patId } },
      body: { expiry },
    });
  const remove = (client: GoRulesClient, patId: string) =>
    client.DELETE('/api/personal-access-tokens/{patId}', { params: { path: { patId } } });

  it('creates a token, shown once, in GoRules’ shape; only its hash is stored', async () => {
    const { data, response } = await create({
      note: 'CI releases',
      allProjects: false,
      expiry: 'month',
      projects: [PROJECT],
      permissions: ['releases', 'releases'],
    });
    expect(response.status).toBe(200);
    expect(data!.token).toMatch(TOKEN_FORMAT);
    expect(data).toMatchObject({
      note: 'CI releases',
      allProjects: false,
      permissions: ['releases'],
      projects: [{ id: PROJECT }],
      user: { id: owner.userId, email: 'owner@pat.test', type: 'owner', status: 'active' },
      createdAt: START.toISOString(),
      expiresAt: new Date(START.getTime() + 30 * DAY).toISOString(),
      lastUsedAt: null,
    });

    const rows = await t.dataSource.query<Record<string, unknown>[]>(
      `SELECT * FROM personal_access_tokens WHERE id = $1`,
      [data!.id],
    );
    expect(rows[0].token_hash).toBe(sha256(data!.token));
    expect(JSON.stringify(rows)).not.toContain(data!.token);

    // Never shown again.
    const got = await get(api, data!.id);
    expect(got.response.status).toBe(200);
    expect(got.data).not.toHaveProperty('token');
  });

  it.each([
    ['week', 7],
    ['three_months', 90],
    ['year', 365],
  ] as const)('expiry %s ends %i days on; indefinite never', async (expiry, days) => {
    const { data } = await create({ note: expiry, allProjects: true, expiry });
    expect(data!.expiresAt).toBe(new Date(START.getTime() + days * DAY).toISOString());
    const forever = await create({ note: 'forever', allProjects: true, expiry: 'indefinite' });
    expect(forever.data!.expiresAt).toBeNull();
  });

  it('lists and gets with the internal token and with the personal access token', async () => {
    const pat = await mintPat(t.url, owner, { note: 'reader' });
    for (const client of [api, as(pat.header)]) {
      const listed = await list(client);
      expect(listed.response.status).toBe(200);
      expect(listed.data!.map((x) => x.id)).toContain(pat.id);
      for (const item of listed.data!) expect(item).not.toHaveProperty('token');

      const one = await get(client, pat.id);
      expect(one.response.status).toBe(200);
      expect(one.data).toMatchObject({ id: pat.id, note: 'reader' });
    }
  });

  it('a GoRules client lists invitations with a personal access token created through the API', async () => {
    const { data: created } = await create({
      note: 'invitations',
      allProjects: true,
      expiry: 'week',
    });
    await api.POST('/api/users', { body: { emails: ['invitee@pat.test'] } });
    const listed = await as(`Bearer ${created!.token}`).GET('/api/invitations');
    expect(listed.response.status).toBe(200);
    expect(listed.data!.results.map((i) => i.email)).toContain('invitee@pat.test');
    // listUsers declares personalAccessToken too.
    const users = await as(`Bearer ${created!.token}`).GET('/api/users');
    expect(users.response.status).toBe(200);
    expect(JSON.stringify(users.data)).toContain('owner@pat.test');
  });

  it('refuses a personal access token where GoRules declares only internalAuth', async () => {
    const pat = await mintPat(t.url, owner);
    const withPat = as(pat.header);
    const attempts = [
      create({ note: 'self-minted', allProjects: true, expiry: 'indefinite' }, withPat),
      regenerate(withPat, pat.id, 'year'),
      remove(withPat, pat.id),
      withPat.POST('/api/users', { body: { emails: ['x@pat.test'] } }),
    ];
    for (const { response, error } of await Promise.all(attempts)) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Internal');
      expect(error).toMatchObject({
        detail: 'This operation does not take a personal access token: send Internal <token>',
      });
    }
    // Nothing changed: the token still works, with its old value.
    expect((await list(withPat)).response.status).toBe(200);
  });

  it('regenerates: the new value works, the old one is refused at once', async () => {
    const pat = await mintPat(t.url, owner);
    const { data, response } = await regenerate(api, pat.id, 'week');
    expect(response.status).toBe(200);
    expect(data!.id).toBe(pat.id);
    expect(data!.token).toMatch(TOKEN_FORMAT);
    expect(data!.token).not.toBe(pat.token);
    expect(data!.expiresAt).toBe(new Date(START.getTime() + 7 * DAY).toISOString());

    const old = await list(as(pat.header));
    expect(old.response.status).toBe(401);
    expect(old.response.headers.get('www-authenticate')).toBe('Internal, Bearer');
    expect((await list(as(`Bearer ${data!.token}`))).response.status).toBe(200);
  });

  it('regenerate requires an expiry', async () => {
    const pat = await mintPat(t.url, owner);
    const { response, error } = await api.POST('/api/personal-access-tokens/{patId}/regenerate', {
      params: { path: { patId: pat.id } },
      body: {} as never,
    });
    expect(response.status).toBe(400);
    expect((error as unknown as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      'expiry',
    ]);
  });

  it('deletes: the token is refused from then on, and a second delete is 404', async () => {
    const pat = await mintPat(t.url, owner, { note: 'doomed' });
    const { data, response } = await remove(api, pat.id);
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ id: pat.id, note: 'doomed' });
    expect(data).not.toHaveProperty('token');

    const after = await list(as(pat.header));
    expect(after.response.status).toBe(401);
    expect(after.error).toMatchObject({
      detail: 'The personal access token is invalid, expired or revoked',
    });
    expect((await remove(api, pat.id)).response.status).toBe(404);
  });

  it('audits create, regenerate and delete, never with the token or its hash', async () => {
    const pat = await mintPat(t.url, owner, { note: 'audited' });
    const regenerated = await regenerate(api, pat.id, 'indefinite');
    expect((await remove(api, pat.id)).response.status).toBe(200);
    const rows = await t.dataSource.query<Record<string, unknown>[]>(
      `SELECT * FROM audit_log WHERE organisation_id = $1 AND type = 'personalAccessToken'`,
      [owner.organisationId],
    );
    const mine = rows.filter((row) => row.ref_id === pat.id);
    expect(mine.map((row) => row.action).sort()).toEqual([
      'personalAccessToken.created',
      'personalAccessToken.deleted',
      'personalAccessToken.regenerated',
    ]);
    for (const row of mine) {
      expect(row.data).toMatchObject({ note: 'audited', ownerId: owner.userId });
    }
    for (const row of mine) expect(row.actor_id).toBe(owner.userId);
    const all = JSON.stringify(rows);
    for (const secret of [pat.token, regenerated.data!.token]) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(sha256(secret));
    }
  });

  it('a member manages only their own tokens: another member’s id is 404', async () => {
    const ownerPat = await mintPat(t.url, owner);
    const memberApi = as(await authHeader(member));
    const memberPat = await mintPat(t.url, member, { note: 'member token' });

    expect((await list(memberApi)).data!.map((x) => x.id)).toEqual([memberPat.id]);
    expect((await get(memberApi, ownerPat.id)).response.status).toBe(404);
    expect((await remove(memberApi, ownerPat.id)).response.status).toBe(404);
    expect((await regenerate(memberApi, ownerPat.id, 'week')).response.status).toBe(404);
    expect((await get(as(memberPat.header), ownerPat.id)).response.status).toBe(404);
    // The owner's token still works: nothing was changed by the refused calls.
    expect((await get(as(ownerPat.header), ownerPat.id)).response.status).toBe(200);
    // The token acts with its owner's role: a member may not list invitations.
    expect((await as(memberPat.header).GET('/api/invitations')).response.status).toBe(403);
  });

  it('refuses an expired token from the second it expires', async () => {
    const pat = await mintPat(t.url, owner, { expiry: 'week' });
    try {
      clock.advance(7 * DAY - 1000);
      expect((await list(as(pat.header))).response.status).toBe(200);
      clock.advance(1000);
      const { response } = await list(as(pat.header));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Internal, Bearer');
    } finally {
      clock.set(START);
    }
  });

  it('refuses the token of a disabled owner, and of one removed from the organisation', async () => {
    const leaver = await seedMember(t.dataSource, {
      email: 'leaver@pat.test',
      organisationId: owner.organisationId,
      type: 'admin',
    });
    const pat = await mintPat(t.url, leaver);
    const probe = async () => (await as(pat.header).GET('/api/invitations')).response.status;
    expect(await probe()).toBe(200);
    await t.dataSource.query(
      `UPDATE organisation_members SET status = 'disabled' WHERE user_id = $1`,
      [leaver.userId],
    );
    expect(await probe()).toBe(403);
    await t.dataSource.query(`DELETE FROM organisation_members WHERE user_id = $1`, [
      leaver.userId,
    ]);
    expect(await probe()).toBe(401);
    // The membership's tokens went with it.
    const left = await t.dataSource.query(`SELECT 1 FROM personal_access_tokens WHERE id = $1`, [
      pat.id,
    ]);
    expect(left).toEqual([]);
  });

  it.each([
    ['no token', 'Bearer'],
    ['random', `Bearer brms_pat_${'a'.repeat(49)}`],
    ['not a brms token', 'Bearer ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['two tokens', 'Bearer a b'],
  ])('401 with both challenges for a Bearer header with %s', async (_, header) => {
    const { response, error } = await list(as(header));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Internal, Bearer');
    expect(error).toMatchObject({ status: 401 });
  });

  it('says where an internal token sent as Bearer goes', async () => {
    const { response, error } = await list(as(internal.replace('Internal ', 'Bearer ')));
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ detail: 'An internal token goes after Internal, not Bearer' });
  });

  it('says which schemes the route takes when the header is missing', async () => {
    const { response, error } = await list(gorulesClient(t.url));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Internal, Bearer');
    expect(error).toMatchObject({
      detail:
        'An Authorization: Internal <token> or Bearer <personal access token> header is required',
    });
  });

  it('refuses a truncated token, one with a wrong checksum, and one with a character more', async () => {
    const pat = await mintPat(t.url, owner);
    const last = pat.token.at(-1)!;
    for (const token of [
      pat.token.slice(0, -1),
      pat.token.slice(0, -1) + (last === 'a' ? 'b' : 'a'),
      `${pat.token}x`,
    ]) {
      expect((await list(as(`Bearer ${token}`))).response.status).toBe(401);
    }
    expect((await list(as(pat.header))).response.status).toBe(200);
  });

  it('writes lastUsedAt at most once a minute', async () => {
    const pat = await mintPat(t.url, owner);
    const lastUsed = async () =>
      (
        await t.dataSource.query<{ last_used_at: Date | null }[]>(
          `SELECT last_used_at FROM personal_access_tokens WHERE id = $1`,
          [pat.id],
        )
      )[0].last_used_at?.toISOString();
    const use = async () => expect((await list(as(pat.header))).response.status).toBe(200);
    try {
      expect(await lastUsed()).toBeUndefined();
      await use();
      expect(await lastUsed()).toBe(START.toISOString());
      clock.advance(59_000);
      await use();
      expect(await lastUsed()).toBe(START.toISOString());
      clock.advance(2_000);
      await use();
      expect(await lastUsed()).toBe(new Date(START.getTime() + 61_000).toISOString());
    } finally {
      clock.set(START);
    }
  });

  it.each([
    [{ allProjects: true, expiry: 'week' }, 'note'],
    [{ note: '', allProjects: true, expiry: 'week' }, 'note'],
    [{ note: 'x'.repeat(101), allProjects: true, expiry: 'week' }, 'note'],
    [{ note: 'ok', expiry: 'week' }, 'allProjects'],
    [{ note: 'ok', allProjects: true, expiry: 'fortnight' }, 'expiry'],
    [{ note: 'ok', allProjects: true, expiry: 'week', permissions: ['admin'] }, 'permissions[0]'],
    [{ note: 'ok', allProjects: false, expiry: 'week', projects: ['nope'] }, 'projects[0]'],
  ])('400 naming the field for %j', async (body, field) => {
    const { response, error } = await create(body as CreateBody);
    expect(response.status).toBe(400);
    expect(
      (error as unknown as { errors: { path: string }[] }).errors.map((e) => e.path),
    ).toContain(field);
  });

  it('400 for a token id that is not a UUID', async () => {
    expect((await get(api, 'not-a-uuid')).response.status).toBe(400);
  });
});
