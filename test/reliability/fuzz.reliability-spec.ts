import fc from 'fast-check';
import type { ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';
import request from 'supertest';
import { expectToMatchReference, referenceResponseValidator } from '../kit/contract.js';
import { authHeader, seedMember, type Member } from '../kit/auth.js';
import { createTestApp, type TestApp } from '../kit/test-app.js';
import { reportScenario } from './report.js';

/** Cases per endpoint: 2 000 in CI; FUZZ_RUNS raises it for a longer local run. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
/** A new seed each run unless FUZZ_SEED replays one; printed so a failure reproduces. */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
process.stderr.write(`fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}\n`);
/** Each property its own seed derived from SEED, so one replays without the others. */
const settings = (property: number) => ({ numRuns: RUNS, seed: SEED + property });

const validateInviteAnswer = referenceResponseValidator('/api/users', 'post', '200');
const validateProblem = new Ajv({ allErrors: true }).compile({
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', minLength: 1 },
    title: { type: 'string', minLength: 1 },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', minLength: 4 },
  },
});

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
  function expectSound(outcome: Outcome, validate2xx?: ValidateFunction): void {
    requests++;
    if (outcome.status >= 500) serverErrors++;
    expect(outcome.status).toBeLessThan(500);
    if (validate2xx && outcome.status >= 200 && outcome.status < 300) {
      expectToMatchReference(validate2xx, outcome.body);
    }
    if (outcome.status >= 400) {
      expect(validateProblem(outcome.body)).toBe(true);
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

  // Full-range UTF-16 (lone surrogates included), mixed with ASCII, and the characters that break
  // things made common rather than rare: surrogate halves, NUL, CR/LF, and overlong values.
  const nasty = fc.constantFrom('\ud800', '\udfff', '\u0000', '\r\n', '\n', '%ED%A0%80', '\ufffe');
  const mixedUnit = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: nasty },
  );
  const anyText = fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    { weight: 3, arbitrary: fc.array(mixedUnit, { maxLength: 40 }).map((u) => u.join('')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 255, maxLength: 2000 }) },
  );
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
  // Percent-encoded bytes that need not be UTF-8 (an encoded lone surrogate, a stray continuation
  // byte): what a query string or path can really carry that a JS string cannot.
  const rawBytes = fc
    .array(
      fc.oneof(
        fc.integer({ min: 0, max: 255 }).map((x) => [x]),
        fc.constant([0xed, 0xa0, 0x80]),
        fc.constant([0xed, 0xbf, 0xbf]),
      ),
      { maxLength: 20 },
    )
    .map((groups) =>
      groups
        .flat()
        .map((x) => `%${x.toString(16).padStart(2, '0')}`)
        .join(''),
    );
  const headerByte = fc
    .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }))
    .map((code) => String.fromCharCode(code));
  const authorization = fc.oneof(
    { weight: 8, arbitrary: fc.constant<string | undefined>(undefined) },
    { weight: 1, arbitrary: fc.constant<string | null>(null) },
    // A header is bytes: Node's client sends tab, printable ASCII and 0x80-0xff (as latin1), and
    // refuses the rest, so those are the values a token can arrive with.
    {
      weight: 2,
      arbitrary: fc.string({ unit: headerByte, maxLength: 400 }).map((v) => `Internal ${v}`),
    },
  );
  // encodeURIComponent throws on a lone surrogate; its UTF-8 encoder writes U+FFFD instead, so a
  // raw encoded surrogate (%ED%A0%80) comes through the nasty values.
  const percentEncode = (v: string) =>
    [...Buffer.from(v, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  const query = fc.dictionary(
    fc.constantFrom('search', 'status', 'limit', 'cursor', 'action', 'from', 'to', 'x', 'limit[]'),
    fc.oneof(
      anyText.map((v) => percentEncode(v)),
      rawBytes,
    ),
    { maxKeys: 4 },
  );
  const encodeQuery = (q: Record<string, string>) =>
    Object.entries(q)
      .map(([k, v]) => `${encodeURIComponent(k)}=${v}`)
      .join('&');

  it('POST /api/users', async () => {
    await fc.assert(
      fc.asyncProperty(inviteBody, contentType, authorization, async (body, type, authz) => {
        expectSound(
          await send('post', '/api/users', { body, contentType: type, authorization: authz }),
          validateInviteAnswer,
        );
      }),
      settings(1),
    );
  });

  it('GET /api/invitations and /api/audit-logs', async () => {
    await fc.assert(
      fc.asyncProperty(query, fc.boolean(), authorization, async (q, audit, authz) => {
        const path = `${audit ? '/api/audit-logs' : '/api/invitations'}?${encodeQuery(q)}`;
        expectSound(await send('get', path, { authorization: authz }));
      }),
      settings(2),
    );
  });

  it('POST and DELETE /api/users/{userId}/invitation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uuid().map(encodeURIComponent),
          anyText.map((v) => percentEncode(v)),
          // Bytes that are not UTF-8 (an encoded lone surrogate, a stray continuation byte).
          rawBytes,
        ),
        fc.boolean(),
        authorization,
        async (id, post, authz) => {
          const path = `/api/users/${id}/invitation`;
          expectSound(await send(post ? 'post' : 'delete', path, { authorization: authz }));
        },
      ),
      settings(3),
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
      settings(4),
    );
  });

  it('leaves no partial writes: every invitation has its user, membership and audit row', async () => {
    const orphans = await t.dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM invitations i
        WHERE NOT EXISTS (SELECT 1 FROM organisation_members m
                           WHERE m.organisation_id = i.organisation_id AND m.user_id = i.user_id)
           OR NOT EXISTS (SELECT 1 FROM audit_log a
                           WHERE a.data ->> 'invitationId' = i.id::text AND a.action = 'invitation.created')`,
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
