import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { parse } from 'yaml';
import { authHeader, mintPat, seedMember, type Member } from './kit/auth.js';
import { TestClock } from './kit/clock.js';
import { ajv, expectToMatchReference } from './kit/contract.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

const DAY = 24 * 3600 * 1000;
const START = new Date(Math.floor(Date.now() / 1000) * 1000);
const TOKEN_FORMAT = /^brms_pat_[0-9A-Za-z]{49}$/;

type Document = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>
  >;
};
const gorules = parse(readFileSync('openapi/gorules-reference.yaml', 'utf8')) as Document;
/** GoRules' 200 schema of one operation: what a GoRules client expects. */
const goRulesSchema = (path: string, method: string) =>
  ajv.compile(gorules.paths[path][method].responses['200'].content['application/json'].schema);
const listSchema = goRulesSchema('/api/personal-access-tokens', 'get');
const createSchema = goRulesSchema('/api/personal-access-tokens', 'post');
const getSchema = goRulesSchema('/api/personal-access-tokens/{patId}', 'get');
const deleteSchema = goRulesSchema('/api/personal-access-tokens/{patId}', 'delete');
const regenerateSchema = goRulesSchema('/api/personal-access-tokens/{patId}/regenerate', 'post');

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('personal access tokens: the caller’s own', () => {
  let t: TestApp;
  let owner: Member;
  let member: Member;
  let internal: string;
  const clock = new TestClock(START);

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
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = (body: Record<string, unknown>, auth = internal) =>
    request(t.server).post('/api/personal-access-tokens').set('Authorization', auth).send(body);

  it('creates a token, shown once, in GoRules’ shape; only its hash is stored', async () => {
    const res = await create({
      note: 'CI releases',
      allProjects: false,
      expiry: 'month',
      projects: ['0f8fad5b-d9cb-469f-a165-70867728950e'],
      permissions: ['releases', 'releases:deploy', 'releases'],
    }).expect(200);
    expectToMatchReference(createSchema, res.body);
    expect(res.body.token).toMatch(TOKEN_FORMAT);
    expect(res.body).toMatchObject({
      note: 'CI releases',
      allProjects: false,
      permissions: ['releases', 'releases:deploy'],
      projects: [{ id: '0f8fad5b-d9cb-469f-a165-70867728950e' }],
      user: { id: owner.userId, email: 'owner@pat.test', type: 'owner', status: 'active' },
      createdAt: START.toISOString(),
      expiresAt: new Date(START.getTime() + 30 * DAY).toISOString(),
      lastUsedAt: null,
    });

    const rows = await t.dataSource.query<Record<string, unknown>[]>(
      `SELECT * FROM personal_access_tokens WHERE id = $1`,
      [res.body.id],
    );
    expect(rows[0].token_hash).toBe(sha256(res.body.token));
    expect(JSON.stringify(rows)).not.toContain(res.body.token);

    // Never shown again.
    const got = await request(t.server)
      .get(`/api/personal-access-tokens/${res.body.id}`)
      .set('Authorization', internal)
      .expect(200);
    expect(got.body.token).toBeUndefined();
  });

  it.each([
    ['week', 7],
    ['three_months', 90],
    ['year', 365],
  ])('expiry %s ends %i days on; indefinite never', async (expiry, days) => {
    const res = await create({ note: expiry, allProjects: true, expiry }).expect(200);
    expect(res.body.expiresAt).toBe(new Date(START.getTime() + days * DAY).toISOString());
    const forever = await create({ note: 'forever', allProjects: true, expiry: 'indefinite' });
    expect(forever.status).toBe(200);
    expect(forever.body.expiresAt).toBeNull();
  });

  it('lists and gets with the internal token and with the personal access token', async () => {
    const pat = await mintPat(t.url, owner, { note: 'reader' });
    for (const auth of [internal, pat.header]) {
      const list = await request(t.server)
        .get('/api/personal-access-tokens')
        .set('Authorization', auth)
        .expect(200);
      expectToMatchReference(listSchema, list.body);
      const mine = (list.body as { id: string; token?: string }[]).find((x) => x.id === pat.id);
      expect(mine).toBeDefined();
      expect(list.body.every((x: { token?: string }) => x.token === undefined)).toBe(true);

      const one = await request(t.server)
        .get(`/api/personal-access-tokens/${pat.id}`)
        .set('Authorization', auth)
        .expect(200);
      expectToMatchReference(getSchema, one.body);
      expect(one.body).toMatchObject({ id: pat.id, note: 'reader' });
    }
  });

  it('lists invitations with a personal access token created through the API', async () => {
    const pat = await mintPat(t.url, owner);
    await request(t.server)
      .post('/api/users')
      .set('Authorization', internal)
      .send({ emails: ['invitee@pat.test'] })
      .expect(200);
    const res = await request(t.server)
      .get('/api/invitations')
      .set('Authorization', pat.header)
      .expect(200);
    expect(res.body.results.map((i: { email: string }) => i.email)).toContain('invitee@pat.test');
  });

  it('refuses a personal access token where GoRules declares only internalAuth', async () => {
    const pat = await mintPat(t.url, owner);
    const attempts = [
      request(t.server).post('/api/personal-access-tokens').send({
        note: 'self-minted',
        allProjects: true,
        expiry: 'indefinite',
      }),
      request(t.server).post(`/api/personal-access-tokens/${pat.id}/regenerate`).send({
        expiry: 'year',
      }),
      request(t.server).delete(`/api/personal-access-tokens/${pat.id}`),
      request(t.server)
        .post('/api/users')
        .send({ emails: ['x@pat.test'] }),
    ];
    for (const attempt of attempts) {
      const res = await attempt.set('Authorization', pat.header);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Internal');
      expect(res.body.detail).toBe(
        'This operation does not take a personal access token: send Internal <token>',
      );
    }
  });

  it('regenerates: the new value works, the old one is refused at once', async () => {
    const pat = await mintPat(t.url, owner);
    const res = await request(t.server)
      .post(`/api/personal-access-tokens/${pat.id}/regenerate`)
      .set('Authorization', internal)
      .send({ expiry: 'week' })
      .expect(200);
    expectToMatchReference(regenerateSchema, res.body);
    expect(res.body.id).toBe(pat.id);
    expect(res.body.token).toMatch(TOKEN_FORMAT);
    expect(res.body.token).not.toBe(pat.token);
    expect(res.body.expiresAt).toBe(new Date(START.getTime() + 7 * DAY).toISOString());

    const old = await request(t.server)
      .get('/api/personal-access-tokens')
      .set('Authorization', pat.header);
    expect(old.status).toBe(401);
    expect(old.headers['www-authenticate']).toBe('Internal, Bearer');
    await request(t.server)
      .get('/api/personal-access-tokens')
      .set('Authorization', `Bearer ${res.body.token}`)
      .expect(200);
  });

  it('regenerate requires an expiry', async () => {
    const pat = await mintPat(t.url, owner);
    const res = await request(t.server)
      .post(`/api/personal-access-tokens/${pat.id}/regenerate`)
      .set('Authorization', internal)
      .send({})
      .expect(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['expiry']);
  });

  it('deletes: the token is refused from then on, and a second delete is 404', async () => {
    const pat = await mintPat(t.url, owner, { note: 'doomed' });
    const res = await request(t.server)
      .delete(`/api/personal-access-tokens/${pat.id}`)
      .set('Authorization', internal)
      .expect(200);
    expectToMatchReference(deleteSchema, res.body);
    expect(res.body).toMatchObject({ id: pat.id, note: 'doomed' });
    expect(res.body.token).toBeUndefined();

    const after = await request(t.server)
      .get('/api/personal-access-tokens')
      .set('Authorization', pat.header);
    expect(after.status).toBe(401);
    expect(after.body.detail).toBe('The personal access token is invalid, expired or revoked');
    await request(t.server)
      .delete(`/api/personal-access-tokens/${pat.id}`)
      .set('Authorization', internal)
      .expect(404);
  });

  it('audits create, regenerate and delete, never with the token or its hash', async () => {
    const pat = await mintPat(t.url, owner, { note: 'audited' });
    const regenerated = await request(t.server)
      .post(`/api/personal-access-tokens/${pat.id}/regenerate`)
      .set('Authorization', internal)
      .send({ expiry: 'indefinite' })
      .expect(200);
    await request(t.server)
      .delete(`/api/personal-access-tokens/${pat.id}`)
      .set('Authorization', internal)
      .expect(200);
    const rows = await t.dataSource.query<Record<string, unknown>[]>(
      `SELECT * FROM audit_log WHERE organisation_id = $1 AND action LIKE 'personalAccessToken.%'
        ORDER BY created_at, action`,
      [owner.organisationId],
    );
    const mine = rows.filter((row) => JSON.stringify(row).includes(pat.id));
    expect(mine.map((row) => row.action).sort()).toEqual([
      'personalAccessToken.created',
      'personalAccessToken.deleted',
      'personalAccessToken.regenerated',
    ]);
    for (const row of mine) expect(row.actor_id).toBe(owner.userId);
    const all = JSON.stringify(rows);
    for (const secret of [pat.token, regenerated.body.token as string]) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(sha256(secret));
    }
  });

  it('a member manages only their own tokens: another member’s id is 404', async () => {
    const ownerPat = await mintPat(t.url, owner);
    const memberAuth = await authHeader(member);
    const memberPat = await mintPat(t.url, member, { note: 'member token' });

    const list = await request(t.server)
      .get('/api/personal-access-tokens')
      .set('Authorization', memberAuth)
      .expect(200);
    expect(list.body.map((x: { id: string }) => x.id)).toEqual([memberPat.id]);
    await request(t.server)
      .get(`/api/personal-access-tokens/${ownerPat.id}`)
      .set('Authorization', memberAuth)
      .expect(404);
    await request(t.server)
      .delete(`/api/personal-access-tokens/${ownerPat.id}`)
      .set('Authorization', memberAuth)
      .expect(404);
    await request(t.server)
      .post(`/api/personal-access-tokens/${ownerPat.id}/regenerate`)
      .set('Authorization', memberAuth)
      .send({ expiry: 'week' })
      .expect(404);
    await request(t.server)
      .get(`/api/personal-access-tokens/${ownerPat.id}`)
      .set('Authorization', memberPat.header)
      .expect(404);
    // The token acts with its owner's role: a member may not list invitations.
    await request(t.server)
      .get('/api/invitations')
      .set('Authorization', memberPat.header)
      .expect(403);
  });

  it('refuses an expired token from the second it expires', async () => {
    const pat = await mintPat(t.url, owner, { expiry: 'week' });
    const probe = () =>
      request(t.server).get('/api/personal-access-tokens').set('Authorization', pat.header);
    try {
      clock.advance(7 * DAY - 1000);
      expect((await probe()).status).toBe(200);
      clock.advance(1000);
      const res = await probe();
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Internal, Bearer');
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
    const probe = () => request(t.server).get('/api/invitations').set('Authorization', pat.header);
    expect((await probe()).status).toBe(200);
    await t.dataSource.query(
      `UPDATE organisation_members SET status = 'disabled' WHERE user_id = $1`,
      [leaver.userId],
    );
    expect((await probe()).status).toBe(403);
    await t.dataSource.query(`DELETE FROM organisation_members WHERE user_id = $1`, [
      leaver.userId,
    ]);
    expect((await probe()).status).toBe(401);
  });

  it.each([
    ['no token', 'Bearer'],
    ['random', `Bearer brms_pat_${'a'.repeat(49)}`],
    ['not a brms token', 'Bearer ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['two tokens', 'Bearer a b'],
  ])('401 with both challenges for a Bearer header with %s', async (_, header) => {
    const res = await request(t.server)
      .get('/api/personal-access-tokens')
      .set('Authorization', header);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Internal, Bearer');
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('says which schemes the route takes when the header is missing', async () => {
    const res = await request(t.server).get('/api/personal-access-tokens').expect(401);
    expect(res.headers['www-authenticate']).toBe('Internal, Bearer');
    expect(res.body.detail).toBe(
      'An Authorization: Internal <token> or Bearer <personal access token> header is required',
    );
  });

  it('refuses a truncated token and one with a wrong checksum', async () => {
    const pat = await mintPat(t.url, owner);
    const last = pat.token.at(-1)!;
    for (const token of [
      pat.token.slice(0, -1),
      pat.token.slice(0, -1) + (last === 'a' ? 'b' : 'a'),
      `${pat.token}x`,
    ]) {
      const res = await request(t.server)
        .get('/api/personal-access-tokens')
        .set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(401);
    }
  });

  it('writes lastUsedAt at most once a minute', async () => {
    const pat = await mintPat(t.url, owner);
    const lastUsed = async () =>
      (
        await t.dataSource.query<{ last_used_at: Date | null }[]>(
          `SELECT last_used_at FROM personal_access_tokens WHERE id = $1`,
          [pat.id],
        )
      )[0].last_used_at;
    const use = () =>
      request(t.server)
        .get('/api/personal-access-tokens')
        .set('Authorization', pat.header)
        .expect(200);
    try {
      expect(await lastUsed()).toBeNull();
      await use();
      expect((await lastUsed())?.toISOString()).toBe(START.toISOString());
      clock.advance(59_000);
      await use();
      expect((await lastUsed())?.toISOString()).toBe(START.toISOString());
      clock.advance(2_000);
      await use();
      expect((await lastUsed())?.toISOString()).toBe(
        new Date(START.getTime() + 61_000).toISOString(),
      );
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
    [{ note: 'ok', allProjects: true, expiry: 'week', permissions: ['admin'] }, 'permissions'],
    [{ note: 'ok', allProjects: false, expiry: 'week', projects: ['nope'] }, 'projects'],
  ])('400 naming the field for %j', async (body, field) => {
    const res = await create(body).expect(400);
    expect(res.body.errors.map((e: { path: string }) => e.path.replace(/\[\d+\]$/, ''))).toContain(
      field,
    );
  });

  it('400 for a token id that is not a UUID', async () => {
    await request(t.server)
      .get('/api/personal-access-tokens/not-a-uuid')
      .set('Authorization', internal)
      .expect(400);
  });
});
