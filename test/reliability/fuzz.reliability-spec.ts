import fc from 'fast-check';
import request from 'supertest';
import { authHeader, seedMember, type Member } from '../kit/auth.js';
import { createTestApp, type TestApp } from '../kit/test-app.js';
import { reportScenario } from './report.js';

/** Cases per endpoint: 2 000 in CI; FUZZ_RUNS raises it for a longer local run. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

type Outcome = { status: number; contentType: string; body: unknown };

describe('fuzzing every endpoint', () => {
  let t: TestApp;
  let owner: Member;
  let auth: string;
  let requests = 0;
  let serverErrors = 0;

  beforeAll(async () => {
    t = await createTestApp();
    owner = await seedMember(t.dataSource, { email: 'owner@fuzz.test' });
    auth = await authHeader(owner, { expiresIn: 3600 });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Every answer a client mistake gets: a 4xx problem+json with a useful detail, never a 5xx. */
  function expectSound(outcome: Outcome): void {
    requests++;
    if (outcome.status >= 500) serverErrors++;
    expect(outcome.status).toBeLessThan(500);
    if (outcome.status >= 400) {
      expect(outcome.contentType).toMatch(/^application\/problem\+json/);
      const body = outcome.body as { detail?: unknown; status?: unknown };
      expect(body.status).toBe(outcome.status);
      expect(typeof body.detail).toBe('string');
      expect((body.detail as string).length).toBeGreaterThan(3);
    }
  }

  const send = async (
    method: 'get' | 'post' | 'delete',
    path: string,
    options: { body?: string; contentType?: string; authorization?: string | null } = {},
  ): Promise<Outcome> => {
    let req = request(t.server)[method](path);
    if (options.authorization !== null)
      req = req.set('Authorization', options.authorization ?? auth);
    if (options.contentType !== undefined) req = req.set('Content-Type', options.contentType);
    const res = options.body !== undefined ? await req.send(options.body) : await req;
    return {
      status: res.status,
      contentType: String(res.headers['content-type'] ?? ''),
      body: res.body,
    };
  };

  const anyText = fc.string({ unit: 'binary', maxLength: 60 });
  const emailish = fc.oneof(
    fc.emailAddress(),
    anyText,
    fc.tuple(anyText, anyText).map(([a, b]) => `${a}@${b}`),
    fc.constantFrom(
      'a@b.c\r\nBcc: x@y.z',
      '"quoted"@example.com',
      'a(comment)@example.com',
      'а@пример.рф',
      'x@xn--80ak6aa92e.com',
      'nul\u0000@example.com',
      ' ',
      '',
    ),
  );
  const inviteBody = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.record({ emails: fc.array(emailish, { maxLength: 12 }) }).map((v) => JSON.stringify(v)),
    fc
      .record(
        {
          emails: fc.array(fc.oneof(emailish, fc.jsonValue()), { maxLength: 12 }),
          extra: fc.jsonValue(),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
    anyText,
  );
  const contentType = fc.oneof(
    fc.constant('application/json'),
    fc.constant('application/json; charset=utf-8'),
    fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin-9',
      'application/merge-patch+json',
    ),
  );
  const authorization = fc.oneof(
    { weight: 8, arbitrary: fc.constant<string | undefined>(undefined) },
    { weight: 1, arbitrary: fc.constant<string | null>(null) },
    // Node's client refuses to send control characters in a header, so: printable ASCII.
    { weight: 1, arbitrary: fc.stringMatching(/^[\x20-\x7e]{0,120}$/).map((v) => `Internal ${v}`) },
  );
  const query = fc.dictionary(
    fc.constantFrom('search', 'status', 'limit', 'cursor', 'action', 'from', 'to', 'x', 'limit[]'),
    anyText,
    { maxKeys: 4 },
  );
  const encodeQuery = (q: Record<string, string>) =>
    Object.entries(q)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');

  it('POST /api/users', async () => {
    await fc.assert(
      fc.asyncProperty(inviteBody, contentType, authorization, async (body, type, authz) => {
        expectSound(
          await send('post', '/api/users', { body, contentType: type, authorization: authz }),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('GET /api/invitations and /api/audit-log', async () => {
    await fc.assert(
      fc.asyncProperty(query, fc.boolean(), authorization, async (q, audit, authz) => {
        const path = `${audit ? '/api/audit-log' : '/api/invitations'}?${encodeQuery(q)}`;
        expectSound(await send('get', path, { authorization: authz }));
      }),
      { numRuns: RUNS },
    );
  });

  it('POST and DELETE /api/users/{userId}/invitation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uuid(), anyText),
        fc.boolean(),
        authorization,
        async (id, post, authz) => {
          const path = `/api/users/${encodeURIComponent(id)}/invitation`;
          expectSound(await send(post ? 'post' : 'delete', path, { authorization: authz }));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('POST /api/invitations/accept', async () => {
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({ token: fc.oneof(anyText, fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)) })
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(body, contentType, async (b, type) => {
        expectSound(
          await send('post', '/api/invitations/accept', {
            body: b,
            contentType: type,
            authorization: null,
          }),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('leaves no partial writes: every invitation has its user, membership and audit row', async () => {
    const orphans = await t.dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM invitations i
        WHERE NOT EXISTS (SELECT 1 FROM organisation_members m
                           WHERE m.organisation_id = i.organisation_id AND m.user_id = i.user_id)
           OR NOT EXISTS (SELECT 1 FROM audit_log a
                           WHERE a.invitation_id = i.id AND a.action = 'invitation.created')`,
    );
    expect(Number(orphans[0].n)).toBe(0);
    const strayMembers = await t.dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM organisation_members m
        WHERE m.type = 'invited'
          AND NOT EXISTS (SELECT 1 FROM invitations i
                           WHERE i.organisation_id = m.organisation_id AND i.user_id = m.user_id)`,
    );
    expect(Number(strayMembers[0].n)).toBe(0);
    reportScenario('fuzz', { requests, '5xx': serverErrors, lost: 0, duplicated: 0 });
  });
});
