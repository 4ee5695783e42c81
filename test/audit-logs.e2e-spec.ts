import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { authHeader, mintPat, seedMember, type Member } from './kit/auth.js';
import { TestClock } from './kit/clock.js';
import type { operations } from './kit/gorules-api.js';
import { gorulesClient, type GoRulesClient } from './kit/gorules-client.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

// Tokens are minted on the real clock, so the app's clock starts now.
const START = new Date(Math.floor(Date.now() / 1000) * 1000);
/** listAuditLogs' query as GoRules types it; tests also send what it would refuse. */
type Query = NonNullable<operations['listAuditLogs']['parameters']['query']>;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

interface Seed {
  organisationId: string;
  actorId: string | null;
  type?: string;
  action?: string;
  createdAt: string;
  refId?: string | null;
  data?: unknown;
  ipAddress?: string | null;
  userAgent?: string | null;
}

describe("GoRules' Audit log operations", () => {
  let t: TestApp;
  let clock: TestClock;
  let owner: Member;
  let admin: Member;
  let client: GoRulesClient;

  async function seed(t: TestApp, rows: Seed[]): Promise<string[]> {
    const ids: string[] = [];
    for (const r of rows) {
      const [{ id }] = await t.dataSource.query<{ id: string }[]>(
        `INSERT INTO audit_log (organisation_id, actor_id, type, action, ref_id, data, ip_address,
                                user_agent, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
        [
          r.organisationId,
          r.actorId,
          r.type ?? 'user',
          r.action ?? 'invitation.created',
          r.refId ?? null,
          JSON.stringify(r.data ?? {}),
          r.ipAddress === undefined ? '192.0.2.1' : r.ipAddress,
          r.userAgent === undefined ? 'seed' : r.userAgent,
          r.createdAt,
        ],
      );
      ids.push(id);
    }
    return ids;
  }

  beforeAll(async () => {
    clock = new TestClock(START);
    t = await createTestApp({ clock });
    owner = await seedMember(t.dataSource, {
      email: 'owner@audit.test',
      firstName: 'Olive',
      lastName: 'Owner',
    });
    admin = await seedMember(t.dataSource, {
      email: 'admin@audit.test',
      organisationId: owner.organisationId,
      type: 'admin',
    });
    client = gorulesClient(t.url, await authHeader(owner));
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('an invitation, as listed and read back', () => {
    let invitedUserId: string;
    let invitationId: string;
    let entryId: string;

    beforeAll(async () => {
      const invited = await client.POST('/api/users', {
        body: { emails: ['newcomer@audit.test'] },
        headers: { 'User-Agent': 'audit-spec/1.0' },
      });
      expect(invited.response.status).toBe(200);
      invitedUserId = invited.data![0].userId!;
      invitationId = invited.data![0].id!;
    });

    it('lists the entry with who, what, when and from where', async () => {
      const { data, response } = await client.GET('/api/audit-logs', {
        params: { query: { action: 'invitation.created' } },
      });
      expect(response.status).toBe(200);
      const entry = data!.results.find((e) => e.refId === invitedUserId)!;
      entryId = entry.id!;
      expect(entry).toEqual({
        id: expect.any(String),
        createdAt: START.toISOString(),
        type: 'user',
        action: 'invitation.created',
        ipAddress: '127.0.0.1',
        userAgent: 'audit-spec/1.0',
        refId: invitedUserId,
        user: {
          id: owner.userId,
          email: 'owner@audit.test',
          firstName: 'Olive',
          lastName: 'Owner',
        },
        project: null,
      });
    });

    it('gets the entry with its organisation and full data, never the token', async () => {
      const { data, response } = await client.GET('/api/audit-logs/{auditLogId}', {
        params: { path: { auditLogId: entryId } },
      });
      expect(response.status).toBe(200);
      expect(data).toMatchObject({
        id: entryId,
        organisationId: owner.organisationId,
        refId: invitedUserId,
        data: { email: 'newcomer@audit.test', invitationId },
      });
      expect(Object.keys(data!.data as object).sort()).toEqual(['email', 'invitationId']);
    });

    it('is also what an admin reads', async () => {
      const adminClient = gorulesClient(t.url, await authHeader(admin));
      const { response } = await adminClient.GET('/api/audit-logs/{auditLogId}', {
        params: { path: { auditLogId: entryId } },
      });
      expect(response.status).toBe(200);
    });

    it('leaves out ipAddress and userAgent of what the system did outside a request', async () => {
      const [id] = await seed(t, [
        {
          organisationId: owner.organisationId,
          actorId: null,
          action: 'invitation.delivery_failed',
          createdAt: START.toISOString(),
          ipAddress: null,
          userAgent: null,
        },
      ]);
      const { data } = await client.GET('/api/audit-logs/{auditLogId}', {
        params: { path: { auditLogId: id } },
      });
      expect(data).not.toHaveProperty('ipAddress');
      expect(data).not.toHaveProperty('userAgent');
      expect(data!.user).toBeNull();
    });
  });

  describe('getAuditLog refuses', () => {
    it('an unknown id and another organisation’s entry alike, with 404', async () => {
      const other = await seedMember(t.dataSource, { email: 'other@elsewhere.test' });
      const [theirs] = await seed(t, [
        {
          organisationId: other.organisationId,
          actorId: other.userId,
          createdAt: START.toISOString(),
        },
      ]);
      for (const auditLogId of [UNKNOWN, theirs]) {
        const { response } = await client.GET('/api/audit-logs/{auditLogId}', {
          params: { path: { auditLogId } },
        });
        expect(response.status).toBe(404);
      }
      // The other organisation's owner does read it.
      const theirClient = gorulesClient(t.url, await authHeader(other));
      const mine = await theirClient.GET('/api/audit-logs/{auditLogId}', {
        params: { path: { auditLogId: theirs } },
      });
      expect(mine.response.status).toBe(200);
    });

    it('an id that is not a UUID, with 400 naming it', async () => {
      const res = await request(t.server)
        .get('/api/audit-logs/not-a-uuid')
        .set('Authorization', await authHeader(owner))
        .expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    });
  });

  it.each(['member', 'author'] as const)(
    'a %s may not list, read or export the audit log (403)',
    async (type) => {
      const m = await seedMember(t.dataSource, {
        email: `${type}@audit.test`,
        organisationId: owner.organisationId,
        type,
      });
      const theirs = gorulesClient(t.url, await authHeader(m));
      const [id] = await seed(t, [
        { organisationId: owner.organisationId, actorId: m.userId, createdAt: START.toISOString() },
      ]);
      expect((await theirs.GET('/api/audit-logs')).response.status).toBe(403);
      expect(
        (await theirs.GET('/api/audit-logs/{auditLogId}', { params: { path: { auditLogId: id } } }))
          .response.status,
      ).toBe(403);
      expect(
        (await theirs.GET('/api/audit-logs/export', { parseAs: 'text' })).response.status,
      ).toBe(403);
    },
  );

  it('without a token: 401, offering both schemes GoRules and this service take', async () => {
    for (const path of [
      '/api/audit-logs',
      '/api/audit-logs/export',
      `/api/audit-logs/${UNKNOWN}`,
    ]) {
      const res = await request(t.server).get(path).expect(401);
      expect(res.headers['www-authenticate']).toBe('Internal, Bearer');
    }
  });

  it('with a personal access token, the scheme GoRules declares for all three', async () => {
    const pat = gorulesClient(t.url, (await mintPat(t.url, owner)).header);
    const listed = await pat.GET('/api/audit-logs', {
      params: { query: { action: 'personalAccessToken.created' } },
    });
    expect(listed.response.status).toBe(200);
    expect(listed.data!.paginate.total).toBe(1);
    const [entry] = listed.data!.results;
    const got = await pat.GET('/api/audit-logs/{auditLogId}', {
      params: { path: { auditLogId: entry.id! } },
    });
    expect(got.data).toMatchObject({ id: entry.id, type: 'personalAccessToken' });
    const exported = await pat.GET('/api/audit-logs/export', {
      params: { query: { fromDate: START.toISOString() } },
      parseAs: 'text',
    });
    expect(exported.response.status).toBe(200);
    expect(exported.data).toContain('personalAccessToken.created');
  });

  it('the old singular /api/audit-log is gone', async () => {
    await request(t.server)
      .get('/api/audit-log')
      .set('Authorization', await authHeader(owner))
      .expect(404);
  });

  describe('filters, order and pages', () => {
    let org: Member;
    let alice: Member;
    let bob: Member;
    let orgClient: GoRulesClient;
    let ids: string[];

    beforeAll(async () => {
      org = await seedMember(t.dataSource, { email: 'owner@filters.test' });
      alice = await seedMember(t.dataSource, {
        email: 'alice@filters.test',
        organisationId: org.organisationId,
        type: 'admin',
      });
      bob = await seedMember(t.dataSource, {
        email: 'bob@filters.test',
        organisationId: org.organisationId,
        type: 'admin',
      });
      orgClient = gorulesClient(t.url, await authHeader(org));
      const o = org.organisationId;
      ids = await seed(t, [
        { organisationId: o, actorId: alice.userId, createdAt: '2026-01-30T23:59:59.999Z' },
        { organisationId: o, actorId: alice.userId, createdAt: '2026-01-31T00:00:00.000Z' },
        {
          organisationId: o,
          actorId: bob.userId,
          action: 'invitation.revoked',
          createdAt: '2026-01-31T12:00:00.000Z',
        },
        {
          organisationId: o,
          actorId: bob.userId,
          type: 'personalAccessToken',
          action: 'personalAccessToken.created',
          createdAt: '2026-01-31T23:59:59.999Z',
        },
        { organisationId: o, actorId: alice.userId, createdAt: '2026-02-01T00:00:00.000Z' },
      ]);
    });

    async function listed(query: Record<string, unknown>) {
      const { data, response } = await orgClient.GET('/api/audit-logs', {
        params: { query: query },
      });
      expect(response.status).toBe(200);
      return { ids: data!.results.map((e) => e.id), paginate: data!.paginate };
    }

    it('newest first by default, with an exact total from the kept count', async () => {
      const { ids: got, paginate } = await listed({});
      expect(got).toEqual([...ids].reverse());
      expect(paginate).toEqual({ current: 1, from: 1, to: 5, total: 5, pageSize: 10 });
    });

    it('sort ASC (asc alike) and orderBy createdAt', async () => {
      expect((await listed({ sort: 'ASC', orderBy: 'createdAt' })).ids).toEqual(ids);
      expect((await listed({ sort: 'asc' })).ids).toEqual(ids);
      expect((await listed({ sort: 'DESC' })).ids).toEqual([...ids].reverse());
    });

    it('fromDate and toDate are inclusive: a date takes its whole day (UTC)', async () => {
      const day = await listed({ fromDate: '2026-01-31', toDate: '2026-01-31', sort: 'ASC' });
      expect(day.ids).toEqual(ids.slice(1, 4));
      expect(day.paginate.total).toBe(3);
      const instants = await listed({
        fromDate: '2026-01-31T00:00:00.000Z',
        toDate: '2026-01-31T12:00:00.000Z',
        sort: 'ASC',
      });
      expect(instants.ids).toEqual(ids.slice(1, 3));
      // An offset is honoured; a date-time without one is UTC.
      const offset = await listed({ toDate: '2026-01-31T01:00:00+01:00', sort: 'ASC' });
      expect(offset.ids).toEqual(ids.slice(0, 2));
      const compact = await listed({ toDate: '2026-01-31T01:00:00+0100', sort: 'ASC' });
      expect(compact.ids).toEqual(ids.slice(0, 2));
      const noOffset = await listed({ fromDate: '2026-02-01T00:00:00', sort: 'ASC' });
      expect(noOffset.ids).toEqual(ids.slice(4));
    });

    it('userId, type and action, alone and together, with their totals', async () => {
      const byBob = await listed({ userId: bob.userId, sort: 'ASC' });
      expect(byBob.ids).toEqual(ids.slice(2, 4));
      expect(byBob.paginate.total).toBe(2);
      const tokens = await listed({ type: 'personalAccessToken' });
      expect(tokens.ids).toEqual([ids[3]]);
      expect(tokens.paginate.total).toBe(1);
      const revoked = await listed({ action: 'invitation.revoked' });
      expect(revoked.ids).toEqual([ids[2]]);
      expect(revoked.paginate.total).toBe(1);
      const both = await listed({ userId: alice.userId, type: 'user', fromDate: '2026-01-31' });
      expect(both.ids).toEqual([ids[4], ids[1]]);
      expect(both.paginate.total).toBe(2);
      expect((await listed({ type: 'release' })).paginate.total).toBe(0);
    });

    it('a projectId matches nothing: there are no projects', async () => {
      const { ids: got, paginate } = await listed({ projectId: UNKNOWN });
      expect(got).toEqual([]);
      expect(paginate).toEqual({ current: 1, from: 0, to: 0, total: 0, pageSize: 10 });
    });

    it('page and perPage', async () => {
      const second = await listed({ page: 2, perPage: 2 });
      expect(second.ids).toEqual([ids[2], ids[1]]);
      expect(second.paginate).toEqual({ current: 2, from: 3, to: 4, total: 5, pageSize: 2 });
      const past = await listed({ page: 9, perPage: 2 });
      expect(past.ids).toEqual([]);
      expect(past.paginate).toEqual({ current: 9, from: 0, to: 0, total: 5, pageSize: 2 });
    });

    it.each([
      ['perPage', { perPage: '101' }],
      ['perPage', { perPage: '0' }],
      ['page', { page: '0' }],
      ['type', { type: 'invitation' }],
      ['action', { action: 'user.deleted' }],
      ['orderBy', { orderBy: 'email' }],
      ['sort', { sort: 'up' }],
      ['fromDate', { fromDate: 'yesterday' }],
      ['fromDate', { fromDate: '2026-W05' }],
      ['toDate', { toDate: '2026-02-30' }],
      ['toDate', { toDate: '2026-01-31T12:00:00+01' }],
      ['fromDate', { fromDate: '0000-01-01' }],
      ['userId', { userId: 'alice' }],
      ['projectId', { projectId: '42' }],
    ])('refuses a bad %s with 400 naming it: %j', async (field, query) => {
      for (const path of ['/api/audit-logs', '/api/audit-logs/export']) {
        if (path.endsWith('export') && (field === 'page' || field === 'perPage')) continue;
        const res = await request(t.server)
          .get(path)
          .query(query)
          .set('Authorization', await authHeader(org))
          .expect(400);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
      }
    });

    it('the export applies the same filters and order as the list', async () => {
      for (const query of [
        {},
        { sort: 'ASC' },
        { userId: bob.userId },
        { fromDate: '2026-01-31', toDate: '2026-01-31' },
        { type: 'personalAccessToken' },
        { action: 'invitation.revoked' },
        { projectId: UNKNOWN },
      ]) {
        const { data, response } = await orgClient.GET('/api/audit-logs/export', {
          params: { query: query as Query },
          parseAs: 'text',
        });
        expect(response.status).toBe(200);
        const records = parse<{ id: string }>(data as unknown as string, { columns: true });
        expect(records.map((r) => r.id)).toEqual((await listed({ ...query, perPage: 100 })).ids);
      }
    });
  });

  describe('exportAuditLogs', () => {
    let org: Member;
    let hostile: Member;
    let orgClient: GoRulesClient;

    beforeAll(async () => {
      org = await seedMember(t.dataSource, { email: 'owner@export.test' });
      hostile = await seedMember(t.dataSource, {
        email: '+cmd@export.test',
        organisationId: org.organisationId,
        type: 'admin',
        firstName: '=HYPERLINK("http://evil.test","x")',
        lastName: '@SUM(1+1)',
      });
      orgClient = gorulesClient(t.url, await authHeader(org));
    });

    it('is RFC 4180 CSV that a CSV parser reads back, header first', async () => {
      const data = { note: 'comma, "quote" and\r\nline break', n: 1 };
      const [id] = await seed(t, [
        {
          organisationId: org.organisationId,
          actorId: org.userId,
          refId: hostile.userId,
          data,
          userAgent: 'Mozilla/5.0 (X11; "quoted", comma)\r\nline two',
          createdAt: '2026-02-01T10:00:00.000Z',
        },
      ]);
      const { data: csv, response } = await orgClient.GET('/api/audit-logs/export', {
        parseAs: 'text',
      });
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe(
        'attachment; filename="audit-logs.csv"',
      );
      const text = csv as unknown as string;
      expect(text.startsWith('id,createdAt,type,action,refId,userId,')).toBe(true);
      expect(text).toContain('\r\n');
      const [header, ...records]: string[][] = parse(text);
      expect(header).toEqual([
        'id',
        'createdAt',
        'type',
        'action',
        'refId',
        'userId',
        'userEmail',
        'userFirstName',
        'userLastName',
        'ipAddress',
        'userAgent',
        'projectId',
        'data',
      ]);
      expect(records).toEqual([
        [
          id,
          '2026-02-01T10:00:00.000Z',
          'user',
          'invitation.created',
          hostile.userId,
          org.userId,
          'owner@export.test',
          '',
          '',
          '192.0.2.1',
          'Mozilla/5.0 (X11; "quoted", comma)\r\nline two',
          '',
          expect.any(String),
        ],
      ]);
      expect(JSON.parse(records[0][12])).toEqual(data);
    });

    it('neutralises cells a spreadsheet would run as a formula', async () => {
      await seed(t, [
        {
          organisationId: org.organisationId,
          actorId: hostile.userId,
          userAgent: '-2+3',
          createdAt: '2026-02-02T10:00:00.000Z',
        },
        {
          organisationId: org.organisationId,
          actorId: hostile.userId,
          userAgent: '\tTAB',
          createdAt: '2026-02-02T10:00:01.000Z',
        },
        {
          organisationId: org.organisationId,
          actorId: hostile.userId,
          userAgent: '\rCR',
          createdAt: '2026-02-02T10:00:02.000Z',
        },
      ]);
      const { data: csv } = await orgClient.GET('/api/audit-logs/export', {
        params: { query: { userId: hostile.userId } },
        parseAs: 'text',
      });
      const records = parse<Record<string, string>>(csv as unknown as string, { columns: true });
      expect(records.map((r) => r.userAgent)).toEqual(["'\rCR", "'\tTAB", "'-2+3"]);
      for (const r of records) {
        expect(r.userEmail).toBe("'+cmd@export.test");
        expect(r.userFirstName).toBe('\'=HYPERLINK("http://evil.test","x")');
        expect(r.userLastName).toBe("'@SUM(1+1)");
      }
    });

    it('answers an empty selection with the header alone', async () => {
      const { data: csv } = await orgClient.GET('/api/audit-logs/export', {
        params: { query: { fromDate: '2030-01-01' } },
        parseAs: 'text',
      });
      expect(parse(csv as unknown as string)).toEqual([
        [
          'id',
          'createdAt',
          'type',
          'action',
          'refId',
          'userId',
          'userEmail',
          'userFirstName',
          'userLastName',
          'ipAddress',
          'userAgent',
          'projectId',
          'data',
        ],
      ]);
    });
  });

  describe('append-only', () => {
    it.each([
      ['UPDATE', `UPDATE audit_log SET action = 'invitation.revoked'`],
      ['DELETE', `DELETE FROM audit_log`],
      ['TRUNCATE', `TRUNCATE audit_log`],
    ])('the database refuses %s, even with triggers set to replica mode', async (_, sql) => {
      const before = await t.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM audit_log`,
      );
      expect(before[0].n).toBeGreaterThan(0);
      await expect(t.dataSource.query(sql)).rejects.toThrow(/append-only/);
      await expect(
        t.dataSource.transaction(async (tx) => {
          await tx.query(`SET LOCAL session_replication_role = replica`);
          await tx.query(sql);
        }),
      ).rejects.toThrow(/append-only/);
      const after = await t.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM audit_log`,
      );
      expect(after).toEqual(before);
    });
  });
});
