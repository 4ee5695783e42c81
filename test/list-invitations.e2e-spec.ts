import { readFileSync } from 'node:fs';
import request from 'supertest';
import { parse } from 'yaml';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { TestClock } from './kit/clock.js';
import { deliveredToken } from './kit/mailbox.js';
import { ajv, expectToMatchReference } from './kit/contract.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

const DAY = 24 * 3600 * 1000;
const START = new Date(Math.floor(Date.now() / 1000) * 1000);

type Schemas = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>
  >;
};
/** GoRules' listInvitations response, from the second reference: what a GoRules client expects. */
const gorules = parse(readFileSync('openapi/gorules-reference.yaml', 'utf8')) as Schemas;
const listSchema = ajv.compile(
  gorules.paths['/api/invitations'].get.responses['200'].content['application/json'].schema,
);

interface Item {
  id: string;
  email: string;
  status: string;
  expiresAt: string | null;
}
interface Paginate {
  current: number;
  from: number;
  to: number;
  total: number;
  pageSize: number;
}

/** A cursor in the service's encoding whose time is `createdAt`. */
function forgedCursor(createdAt: string): string {
  return Buffer.from(JSON.stringify([createdAt, '00000000-0000-4000-8000-000000000000'])).toString(
    'base64url',
  );
}

describe('GET /api/invitations (listInvitations, GoRules-exact)', () => {
  let t: TestApp;
  let owner: Member;
  let auth: string;
  const clock = new TestClock(START);

  beforeAll(async () => {
    t = await createTestApp({ clock, mailbox: true });
    owner = await seedMember(t.dataSource, {
      email: 'owner@listing.test',
      organisationName: 'Listing Org',
      firstName: 'Olive',
      lastName: 'Owner',
    });
    auth = await authHeader(owner, { expiresIn: (60 * DAY) / 1000 });
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => clock.set(START));

  const http = () => request(t.server);
  const invite = async (email: string) =>
    (
      await http()
        .post('/api/users')
        .set('Authorization', auth)
        .send({ emails: [email] })
        .expect(200)
    ).body[0] as { id: string; userId: string; email: string };

  /** Lists, checks the answer against GoRules' schema, and returns the body. */
  const list = async (
    query: Record<string, string | number>,
    authorization = auth,
  ): Promise<{ results: Item[]; paginate: Paginate; nextCursor: string | null }> => {
    const res = await http()
      .get('/api/invitations')
      .query(query)
      .set('Authorization', authorization)
      .expect(200);
    expectToMatchReference(listSchema, res.body);
    return res.body;
  };

  const deliver = (inv: { id: string; email: string }) =>
    deliveredToken(t.dataSource, t.mailbox!, inv);

  it('answers GoRules’ item: createdBy, user and organisation, plus the delivery state', async () => {
    const inv = await invite('listed@example.com');
    const body = await list({ search: 'LISTED@' });
    expect(body.results).toEqual([
      {
        id: inv.id,
        email: 'listed@example.com',
        expiresAt: new Date(START.getTime() + 7 * DAY).toISOString(),
        createdAt: START.toISOString(),
        acceptedAt: null,
        status: 'pending',
        createdBy: {
          id: owner.userId,
          email: 'owner@listing.test',
          firstName: 'Olive',
          lastName: 'Owner',
          type: 'owner',
          status: 'active',
        },
        user: {
          id: inv.userId,
          email: 'listed@example.com',
          firstName: null,
          lastName: null,
          type: 'invited',
          status: 'active',
        },
        organisation: { id: owner.organisationId, name: 'Listing Org' },
        deliveryStatus: expect.stringMatching(/^(queued|sent)$/),
        lastSentAt: START.toISOString(),
      },
    ]);
    expect(body.paginate).toEqual({ current: 1, from: 1, to: 1, total: 1, pageSize: 10 });
    expect(body.nextCursor).toBeNull();
  });

  it('lists an accepted invitation as accepted, its user now a member', async () => {
    const inv = await invite('accepted@example.com');
    const token = await deliver(inv);
    clock.advance(1000);
    await http().post('/api/invitations/accept').send({ token }).expect(200);
    const { results } = await list({ search: 'accepted@', status: 'accepted' });
    expect(results).toEqual([
      expect.objectContaining({
        id: inv.id,
        status: 'accepted',
        acceptedAt: new Date(START.getTime() + 1000).toISOString(),
        user: expect.objectContaining({ id: inv.userId, type: 'member', status: 'active' }),
      }),
    ]);
    expect((await list({ search: 'accepted@', status: 'pending' })).results).toEqual([]);
  });

  it('keeps an invitation past its expiry pending, with its past expiresAt', async () => {
    const inv = await invite('expired@example.com');
    clock.advance(8 * DAY);
    const { results } = await list({ search: 'expired@', status: 'pending' });
    expect(results.map((i) => [i.id, i.status, i.expiresAt])).toEqual([
      [inv.id, 'pending', new Date(START.getTime() + 7 * DAY).toISOString()],
    ]);
  });

  it('does not list a revoked invitation, nor count it', async () => {
    const inv = await invite('revoked@example.com');
    expect((await list({ search: 'revoked@' })).paginate.total).toBe(1);
    await http()
      .delete(`/api/users/${inv.userId}/invitation`)
      .set('Authorization', auth)
      .expect(200);
    const body = await list({ search: 'revoked@' });
    expect(body.results).toEqual([]);
    expect(body.paginate).toEqual({ current: 1, from: 0, to: 0, total: 0, pageSize: 10 });
  });

  it('treats search wildcards literally', async () => {
    const inv = await invite('wildcardxs@example.com');
    expect((await list({ search: 'wildcard_s' })).results).toEqual([]);
    expect((await list({ search: 'wildcard%' })).results).toEqual([]);
    expect((await list({ search: 'wildcardx' })).results.map((i) => i.id)).toEqual([inv.id]);
  });

  describe('pages', () => {
    let pager: string;
    /** Ids of the 25 invitations, newest first. */
    let newestFirst: string[];

    beforeAll(async () => {
      const member = await seedMember(t.dataSource, {
        email: 'pager@listing.test',
        organisationName: 'Pager',
      });
      pager = await authHeader(member, { expiresIn: (60 * DAY) / 1000 });
      const [{ id: userId }] = await t.dataSource.query(
        `INSERT INTO users (email) VALUES ('paged@listing.test') RETURNING id`,
      );
      // Runs of equal created_at, so the id tie-breaker is exercised too.
      const rows = await t.dataSource.query<{ id: string }[]>(
        `INSERT INTO invitations (organisation_id, user_id, email, status, created_at, invited_by)
         SELECT $1, $2, 'paged-' || g || '@listing.test',
                CASE WHEN g % 3 = 0 THEN 'accepted' ELSE 'pending' END,
                $3::timestamptz - (g / 4) * interval '1 second', $4
           FROM generate_series(1, 25) AS g
         RETURNING id`,
        [member.organisationId, userId, START, member.userId],
      );
      // A revoked one among them is never listed.
      await t.dataSource.query(
        `INSERT INTO invitations (organisation_id, user_id, email, status, created_at)
         VALUES ($1, $2, 'paged-revoked@listing.test', 'revoked', $3)`,
        [member.organisationId, userId, START],
      );
      const ordered = await t.dataSource.query<{ id: string }[]>(
        `SELECT id FROM invitations WHERE id = ANY($1::uuid[]) ORDER BY created_at DESC, id DESC`,
        [rows.map((r) => r.id)],
      );
      newestFirst = ordered.map((r) => r.id);
    });

    it('is page 1 of 10 by default, with an exact total', async () => {
      const body = await list({}, pager);
      expect(body.results.map((i) => i.id)).toEqual(newestFirst.slice(0, 10));
      expect(body.paginate).toEqual({ current: 1, from: 1, to: 10, total: 25, pageSize: 10 });
    });

    it('numbers pages with page and perPage, the last one short, past it empty', async () => {
      const third = await list({ page: 3 }, pager);
      expect(third.results.map((i) => i.id)).toEqual(newestFirst.slice(20));
      expect(third.paginate).toEqual({ current: 3, from: 21, to: 25, total: 25, pageSize: 10 });
      expect(third.nextCursor).toBeNull();
      const past = await list({ page: 4 }, pager);
      expect(past.results).toEqual([]);
      expect(past.paginate).toEqual({ current: 4, from: 0, to: 0, total: 25, pageSize: 10 });
      const byFour = await list({ page: 2, perPage: 4 }, pager);
      expect(byFour.results.map((i) => i.id)).toEqual(newestFirst.slice(4, 8));
      expect(byFour.paginate).toEqual({ current: 2, from: 5, to: 8, total: 25, pageSize: 4 });
      expect((await list({ perPage: 100 }, pager)).results.map((i) => i.id)).toEqual(newestFirst);
    });

    it('counts and filters by status together', async () => {
      const accepted = await list({ status: 'accepted', perPage: 100 }, pager);
      expect(accepted.results).toHaveLength(8);
      expect(accepted.results.every((i) => i.status === 'accepted')).toBe(true);
      expect(accepted.paginate.total).toBe(8);
      expect((await list({ status: 'pending' }, pager)).paginate.total).toBe(17);
    });

    it('continues after a keyset cursor, placing the page in the whole list', async () => {
      const first = await list({ perPage: 10 }, pager);
      const after = await list({ perPage: 10, cursor: first.nextCursor! }, pager);
      expect(after.results.map((i) => i.id)).toEqual(newestFirst.slice(10, 20));
      expect(after.paginate).toEqual({ current: 2, from: 11, to: 20, total: 25, pageSize: 10 });
      const last = await list({ perPage: 10, cursor: after.nextCursor! }, pager);
      expect(last.results.map((i) => i.id)).toEqual(newestFirst.slice(20));
      expect(last.nextCursor).toBeNull();
    });
  });

  it('pages through 250 invitations exactly once by cursor while new ones arrive', async () => {
    const org = await seedMember(t.dataSource, {
      email: 'walker@listing.test',
      organisationName: 'Walker',
    });
    const walker = await authHeader(org, { expiresIn: (60 * DAY) / 1000 });
    const [{ id: userId }] = await t.dataSource.query(
      `INSERT INTO users (email) VALUES ('walked@listing.test') RETURNING id`,
    );
    await t.dataSource.query(
      `INSERT INTO invitations (organisation_id, user_id, email, status, created_at)
       SELECT $1, $2, 'walked-' || g || '@listing.test', 'accepted', $3::timestamptz - (g / 5) * interval '1 second'
         FROM generate_series(1, 250) AS g`,
      [org.organisationId, userId, START],
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const body: Awaited<ReturnType<typeof list>> = await list(
        { perPage: 37, ...(cursor ? { cursor } : {}) },
        walker,
      );
      seen.push(...body.results.map((i) => i.id));
      cursor = body.nextCursor;
      // Newer invitations arriving between pages must not shift what comes next.
      await t.dataSource.query(
        `INSERT INTO invitations (organisation_id, user_id, email, status, created_at)
         VALUES ($1, $2, $3, 'accepted', $4)`,
        [
          org.organisationId,
          userId,
          `late-${page}@listing.test`,
          new Date(START.getTime() + 1000 + page),
        ],
      );
      page++;
    } while (cursor && page < 20);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
  });

  it.each([
    ['perPage=0', 'perPage'],
    ['perPage=101', 'perPage'],
    ['perPage=2.5', 'perPage'],
    ['page=0', 'page'],
    ['page=1.5', 'page'],
    ['page=abc', 'page'],
    ['page=2147483648', 'page'],
    ['status=revoked', 'status'],
    ['status=expired', 'status'],
    ['status=unknown', 'status'],
    ['limit=10', 'limit'],
    ['surprise=1', 'surprise'],
    ['cursor=garbage', 'cursor'],
    [`page=2&cursor=${forgedCursor('2030-01-05 09:30:00+00')}`, 'page'],
    // PostgreSQL text cannot hold NUL: it must not reach the database.
    ['search=a%00b', 'search'],
    ['search=%1B%5B31m', 'search'],
    // Well-formed but forged: times JavaScript parses and PostgreSQL does not.
    [`cursor=${forgedCursor('1')}`, 'cursor'],
    [`cursor=${forgedCursor('2030-02-30 00:00:00+00')}`, 'cursor'],
  ])('refuses %s with 400 naming the field', async (query, path) => {
    const res = await http()
      .get(`/api/invitations?${query}`)
      .set('Authorization', auth)
      .expect(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });
});
