import { jest } from '@jest/globals';
import { createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import { OrganisationMembersRepository } from '../../src/organisations/organisation-members.repository.js';
import { TEST_ISSUER, TEST_SECRET, mintToken, seedMember, type Member } from '../kit/auth.js';
import { createTestApp, type TestApp } from '../kit/test-app.js';
import { reportScenario } from './report.js';

/** Samples per class for the timing comparison (interleaved). */
const TIMING_SAMPLES = Number(process.env.RELIABILITY_TIMING_SAMPLES ?? 150);

const b64 = (value: object | string) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact JWS with any header, signed with HMAC-SHA`bits` over `secret` (or not at all). */
function handMade(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  sign: { bits: 256 | 384 | 512; secret: string } | 'unsigned',
): string {
  const input = `${b64(header)}.${b64(claims)}`;
  if (sign === 'unsigned') return `${input}.`;
  const signature = createHmac(`sha${sign.bits}`, sign.secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe('tokens: every forgery is refused, and refusals do not tell who exists', () => {
  let t: TestApp;
  let owner: Member;
  let otherOrganisationId: string;
  let requests = 0;
  let serverErrors = 0;
  let accepted = 0;

  beforeAll(async () => {
    t = await createTestApp();
    owner = await seedMember(t.dataSource, { email: 'owner@tokens.test' });
    otherOrganisationId = (
      await seedMember(t.dataSource, {
        email: 'owner@elsewhere.test',
        organisationName: 'Elsewhere',
      })
    ).organisationId;
  });
  afterAll(async () => {
    await t?.close();
  });

  const attempt = async (token: string, email = 'victim@example.com') => {
    const res = await request(t.server)
      .post('/api/users')
      .set('Authorization', `Internal ${token}`)
      .send({ emails: [email] });
    requests++;
    if (res.status >= 500) serverErrors++;
    if (res.status < 300) accepted++;
    return res;
  };

  const now = () => Math.floor(Date.now() / 1000);
  const claimsOf = (member: Member, overrides: Record<string, unknown> = {}) => ({
    sub: member.userId,
    org: member.organisationId,
    iss: TEST_ISSUER,
    iat: now(),
    exp: now() + 600,
    ...overrides,
  });

  it.each([
    ['HS384 with the right secret', 384],
    ['HS512 with the right secret', 512],
  ] as const)('401 for algorithm confusion: %s', async (_, bits) => {
    const token = handMade({ alg: `HS${bits}` }, claimsOf(owner), { bits, secret: TEST_SECRET });
    const res = await attempt(token);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Internal');
  });

  it('401 for RS256 or ES256 in the header over an HMAC signature made with the secret', async () => {
    for (const alg of ['RS256', 'ES256', 'PS256']) {
      const token = handMade({ alg }, claimsOf(owner), { bits: 256, secret: TEST_SECRET });
      expect((await attempt(token)).status).toBe(401);
    }
  });

  it('401 for alg none in any spelling, signed or not', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      expect((await attempt(handMade({ alg }, claimsOf(owner), 'unsigned'))).status).toBe(401);
      const signed = handMade({ alg }, claimsOf(owner), { bits: 256, secret: TEST_SECRET });
      expect((await attempt(signed)).status).toBe(401);
    }
  });

  it('401 for a key id the service does not have, even signed with its secret', async () => {
    for (const kid of ['nope', '../../etc/passwd', "' OR 1=1 --"]) {
      expect((await attempt(await mintToken(owner, { kid }))).status).toBe(401);
    }
  });

  it('401 for a token expired by one second', async () => {
    const token = handMade(
      { alg: 'HS256' },
      claimsOf(owner, { iat: now() - 600, exp: now() - 1 }),
      { bits: 256, secret: TEST_SECRET },
    );
    const res = await attempt(token);
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe('The token is invalid or expired');
  });

  it('401 for a token issued in the future (beyond clock skew)', async () => {
    expect((await attempt(await mintToken(owner, { issuedAt: 60, expiresIn: 600 }))).status).toBe(
      401,
    );
  });

  it("403 for another organisation's id in a well-signed token", async () => {
    const res = await attempt(
      await mintToken({ userId: owner.userId, organisationId: otherOrganisationId }),
    );
    expect(res.status).toBe(403);
  });

  it('403 for a deleted user, whose token is still well-signed and unexpired', async () => {
    const doomed = await seedMember(t.dataSource, {
      email: 'doomed@tokens.test',
      organisationId: owner.organisationId,
      type: 'admin',
    });
    const token = await mintToken(doomed);
    const before = await attempt(token, 'control@example.com');
    expect(before.status).toBe(200);
    accepted--; // the control request, not a forgery
    await t.dataSource.query(`DELETE FROM users WHERE id = $1`, [doomed.userId]);
    expect((await attempt(token)).status).toBe(403);
  });

  it('verifies the signature before the database is asked anything about the caller', async () => {
    // The guard's membership lookup is its one statement, through the members' repository.
    const lookups = jest.spyOn(t.app.get(OrganisationMembersRepository), 'role');
    try {
      const stranger = { userId: randomUUID(), organisationId: randomUUID() };
      const wrongSecret = 'not-the-secret-but-at-least-32-bytes!!';
      for (const token of [
        await mintToken(owner, { secret: wrongSecret }),
        await mintToken(stranger, { secret: wrongSecret }),
        handMade({ alg: 'none' }, claimsOf(owner), 'unsigned'),
      ]) {
        lookups.mockClear();
        expect((await attempt(token)).status).toBe(401);
        expect(lookups).not.toHaveBeenCalled();
      }
      // The control: a valid signature does reach the membership lookup.
      lookups.mockClear();
      expect((await attempt(await mintToken(stranger))).status).toBe(403);
      expect(lookups).toHaveBeenCalled();
    } finally {
      lookups.mockRestore();
    }
  });

  it('answers a wrong signature for a member, for a stranger and a garbage token in the same time', async () => {
    const wrongSecret = 'not-the-secret-but-at-least-32-bytes!!';
    const stranger = { userId: randomUUID(), organisationId: randomUUID() };
    const classes: Record<string, () => Promise<string>> = {
      'member, wrong signature': () => mintToken(owner, { secret: wrongSecret }),
      'stranger, wrong signature': () => mintToken(stranger, { secret: wrongSecret }),
      'unknown token': () =>
        Promise.resolve(`${b64({ alg: 'HS256' })}.${b64(randomUUID())}.${b64(randomUUID())}`),
    };
    const names = Object.keys(classes);
    const timings = new Map<string, number[]>(names.map((name) => [name, []]));
    // Warm-up, then interleave the classes so load on the machine hits them alike.
    for (const name of names) await attempt(await classes[name]());
    for (let i = 0; i < TIMING_SAMPLES; i++) {
      for (const name of names) {
        const token = await classes[name]();
        const started = performance.now();
        const res = await attempt(token);
        timings.get(name)!.push(performance.now() - started);
        expect(res.status).toBe(401);
      }
    }
    const medians = names.map((name) => median(timings.get(name)!));
    const fastest = Math.min(...medians);
    const slowest = Math.max(...medians);
    // A membership lookup before verification would add a database round trip to one class only.
    expect(slowest - fastest).toBeLessThan(Math.max(1.5, fastest * 0.3));

    expect(accepted).toBe(0);
    const created = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM invitations WHERE email = 'victim@example.com'`,
    );
    expect(created[0].n).toBe(0);
    reportScenario('tokens', {
      requests,
      '5xx': serverErrors,
      lost: 0,
      duplicated: 0,
      accepted,
      medianUsMember: Math.round(medians[0] * 1000),
      medianUsStranger: Math.round(medians[1] * 1000),
      medianUsGarbage: Math.round(medians[2] * 1000),
    });
  });
});
