import { userSearchSql } from '../src/users/users.repository.js';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { gorulesClient } from './kit/gorules-client.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

type ListQuery = { isService?: string; search?: string; page?: number; perPage?: number };

interface User {
  id: string;
  email: string;
  type: string;
  status: string;
  firstName: string | null;
  lastName: string | null;
  isService: boolean;
  roles: { id: string; name: string; description?: string }[];
}
interface Page {
  results: User[];
  paginate: { current: number; from: number; to: number; total: number; pageSize: number };
}

describe('GET /api/users (listUsers, GoRules-exact)', () => {
  let t: TestApp;
  let owner: Member;
  let auth: string;

  beforeAll(async () => {
    t = await createTestApp();
    owner = await seedMember(t.dataSource, {
      email: 'owner@users.test',
      organisationName: 'Users Org',
      firstName: 'Olive',
      lastName: 'Owner',
    });
    auth = await authHeader(owner);
    await seedMember(t.dataSource, {
      email: 'ada@users.test',
      organisationId: owner.organisationId,
      type: 'admin',
      firstName: 'Ada',
      lastName: 'Lovelace',
    });
    await seedMember(t.dataSource, {
      email: 'grace@users.test',
      organisationId: owner.organisationId,
      type: 'member',
      firstName: 'Grace',
      lastName: 'Hopper',
    });
    // Another organisation's members are never listed here.
    await seedMember(t.dataSource, { email: 'stranger@other.test', organisationName: 'Other' });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** listUsers through the GoRules client, which checks the answer against GoRules' schema. */
  const answer = async (query: ListQuery = {}, authorization = auth) =>
    gorulesClient(t.url, authorization).GET('/api/users', { params: { query } });
  const list = async (query: ListQuery = {}, authorization = auth) => {
    const { response, data } = await answer(query, authorization);
    expect(response.status).toBe(200);
    return data as Page;
  };

  it("lists the organisation's members, invitees included, newest first, as GoRules' User", async () => {
    const invited = await gorulesClient(t.url, auth).POST('/api/users', {
      body: { emails: ['invitee@users.test'] },
    });
    expect(invited.response.status).toBe(200);
    const page = await list();
    expect(page.results.map((u) => u.email)).toEqual([
      'invitee@users.test',
      'grace@users.test',
      'ada@users.test',
      'owner@users.test',
    ]);
    expect(page.paginate).toEqual({ current: 1, from: 1, to: 4, total: 4, pageSize: 10 });
    const invitee = page.results[0];
    expect(invitee).toMatchObject({
      type: 'invited',
      status: 'active',
      isService: false,
      roles: [],
      firstName: null,
    });
    expect(page.results[2]).toMatchObject({
      email: 'ada@users.test',
      type: 'admin',
      firstName: 'Ada',
      lastName: 'Lovelace',
    });
  });

  it('pages with page and perPage; the total stays exact', async () => {
    const second = await list({ page: 2, perPage: 3 });
    expect(second.results.map((u) => u.email)).toEqual(['owner@users.test']);
    expect(second.paginate).toEqual({ current: 2, from: 4, to: 4, total: 4, pageSize: 3 });
    const beyond = await list({ page: 9, perPage: 3 });
    expect(beyond).toEqual({
      results: [],
      paginate: { current: 9, from: 0, to: 0, total: 4, pageSize: 3 },
    });
  });

  it('searches email, first and last name case-insensitively, with LIKE characters taken literally', async () => {
    const emails = async (search: string) =>
      (await list({ search })).results.map((u) => u.email).sort();
    expect(await emails('LOVELACE')).toEqual(['ada@users.test']);
    expect(await emails('grAce')).toEqual(['grace@users.test']);
    expect(await emails('owner@')).toEqual(['owner@users.test']);
    expect(await emails('USERS.TEST')).toHaveLength(4);
    expect(await emails('%')).toEqual([]);
    expect(await emails('stranger')).toEqual([]);
    // No match across two fields: first and last name are not one string.
    expect(await emails('ada lovelace')).toEqual([]);
    const counted = await list({ search: 'hopper' });
    expect(counted.paginate.total).toBe(1);
  });

  it('filters by isService, with the total of that kind', async () => {
    const created = await gorulesClient(t.url, auth).POST('/api/users/service', {
      body: { email: 'robot@users.test' },
    });
    expect(created.response.status).toBe(200);
    const services = await list({ isService: 'true' });
    expect(services.results.map((u) => [u.email, u.isService])).toEqual([
      ['robot@users.test', true],
    ]);
    expect(services.paginate.total).toBe(1);
    const people = await list({ isService: 'false' });
    expect(people.results.every((u) => !u.isService)).toBe(true);
    expect(people.paginate.total).toBe(4);
    expect((await list()).paginate.total).toBe(5);
  });

  it('keeps the total as members come and go (the count the database keeps)', async () => {
    const kept = async () =>
      (
        await t.dataSource.query<{ n: number }[]>(
          `SELECT coalesce(sum(n), 0)::int AS n FROM member_counts WHERE organisation_id = $1`,
          [owner.organisationId],
        )
      )[0].n;
    const actual = async () =>
      (
        await t.dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM organisation_members WHERE organisation_id = $1`,
          [owner.organisationId],
        )
      )[0].n;
    const before = (await list()).paginate.total;
    const invited = await gorulesClient(t.url, auth).POST('/api/users', {
      body: { emails: ['one@users.test', 'two@users.test'] },
    });
    expect(invited.response.status).toBe(200);
    expect((await list()).paginate.total).toBe(before + 2);
    const invitee = (await list({ search: 'one@users' })).results[0];
    const revoked = await gorulesClient(t.url, auth).DELETE('/api/users/{userId}/invitation', {
      params: { path: { userId: invitee.id } },
    });
    expect(revoked.response.ok).toBe(true);
    expect((await list()).paginate.total).toBe(before + 1);
    expect(await kept()).toBe(await actual());
  });

  it('serves search from the pg_trgm index on the three fields', async () => {
    const plan = await t.dataSource.transaction(async (tx) => {
      // A handful of rows would be read whole: make the planner show what the index can serve.
      await tx.query('SET LOCAL enable_seqscan = off');
      const rows = await tx.query<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN SELECT id FROM users AS u WHERE ${userSearchSql('u')} LIKE '%lovelace%'`,
      );
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('users_search_trgm_idx');
  });

  it('refuses bad queries with a 400 naming the parameter', async () => {
    const cases: [ListQuery, string][] = [
      [{ perPage: 101 }, 'perPage'],
      [{ perPage: 0 }, 'perPage'],
      [{ page: 0 }, 'page'],
      [{ page: 1.5 }, 'page'],
      [{ isService: 'yes' }, 'isService'],
      [{ search: 'x'.repeat(255) }, 'search'],
      [{ search: 'a\u0001b' }, 'search'],
    ];
    for (const [query, field] of cases) {
      const { response, error } = await answer(query);
      expect(response.status).toBe(400);
      const problem = error as unknown as { errors: { path: string }[] };
      expect(problem.errors.map((e) => e.path)).toContain(field);
    }
  });

  it('lets only owners and admins list', async () => {
    const admin = { ...owner, userId: (await list({ search: 'ada@' })).results[0].id };
    await list({}, await authHeader(admin));
    const member = { ...owner, userId: (await list({ search: 'grace@' })).results[0].id };
    const refused = await answer({}, await authHeader(member));
    expect(refused.response.status).toBe(403);
    expect((refused.error as unknown as { detail: string }).detail).toBe(
      'Your role in this organisation does not allow this action',
    );
    expect((await gorulesClient(t.url).GET('/api/users')).response.status).toBe(401);
  });
});
