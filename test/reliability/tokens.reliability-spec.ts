import { jest } from '@jest/globals';
import { createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import { Clock } from '../../src/common/clock.js';
import { OrganisationMembersRepository } from '../../src/organisations/organisation-members.repository.js';
import { newPersonalAccessToken } from '../../src/personal-access-tokens/personal-access-token.js';
import {
  TEST_ISSUER,
  TEST_SECRET,
  authHeader,
  mintPat,
  mintToken,
  seedMember,
  type Member,
} from '../kit/auth.js';
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

/** Real time, moved by an offset: internal tokens minted with the wall clock stay valid. */
class OffsetClock extends Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe('tokens: every forgery is refused, and refusals do not tell who exists', () => {
  let t: TestApp;
  let owner: Member;
  let otherOrganisationId: string;
  let otherOwner: Member;
  const clock = new OffsetClock();
  let requests = 0;
  let serverErrors = 0;
  let accepted = 0;

  beforeAll(async () => {
    t = await createTestApp({ clock });
    owner = await seedMember(t.dataSource, { email: 'owner@tokens.test' });
    otherOwner = await seedMember(t.dataSource, {
      email: 'owner@elsewhere.test',
      organisationName: 'Elsewhere',
    });
    otherOrganisationId = otherOwner.organisationId;
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
  describe('personal access tokens (Authorization: Bearer)', () => {
    let patRequests = 0;
    let patServerErrors = 0;
    let patAccepted = 0;

    /** A PAT route: GET /api/invitations, the organisation's invitations. */
    const patAttempt = async (token: string) => {
      const res = await request(t.server)
        .get('/api/invitations')
        .set('Authorization', `Bearer ${token}`);
      patRequests++;
      if (res.status >= 500) patServerErrors++;
      if (res.status < 300) patAccepted++;
      return res;
    };
    const expectRefused = async (token: string, status = 401) => {
      const res = await patAttempt(token);
      expect(res.status).toBe(status);
      if (status === 401) {
        expect(res.headers['www-authenticate']).toBe('Internal, Bearer');
        expect(res.body.detail).toBe('The personal access token is invalid, expired or revoked');
      }
    };

    it('401 for a random, well-formed token (right prefix and checksum) that was never issued', async () => {
      for (let i = 0; i < 20; i++) await expectRefused(newPersonalAccessToken().token);
    });

    it('401 for a truncated token and for one with a wrong checksum', async () => {
      const { token } = await mintPat(t.url, owner);
      for (let cut = 1; cut <= 8; cut++) await expectRefused(token.slice(0, -cut));
      await expectRefused(token.slice(0, 20));
      await expectRefused('brms_pat_');
      const last = token.at(-1)!;
      await expectRefused(token.slice(0, -1) + (last === '0' ? '1' : '0'));
      // A flipped body character with the checksum left as it was.
      const flipped = token[20] === 'a' ? 'b' : 'a';
      await expectRefused(token.slice(0, 20) + flipped + token.slice(21));
    });

    it('401 for a revoked (deleted) and for a regenerated token', async () => {
      const internal = await authHeader(owner);
      const revoked = await mintPat(t.url, owner);
      await request(t.server)
        .delete(`/api/personal-access-tokens/${revoked.id}`)
        .set('Authorization', internal)
        .expect(200);
      await expectRefused(revoked.token);

      const regenerated = await mintPat(t.url, owner);
      await request(t.server)
        .post(`/api/personal-access-tokens/${regenerated.id}/regenerate`)
        .set('Authorization', internal)
        .send({ expiry: 'week' })
        .expect(200);
      await expectRefused(regenerated.token);
    });

    it('401 for a token expired by one second (the injected clock)', async () => {
      const { token } = await mintPat(t.url, owner, { expiry: 'week' });
      const [{ expires_at: expiresAt }] = await t.dataSource.query<{ expires_at: Date }[]>(
        `SELECT expires_at FROM personal_access_tokens WHERE token_hash = encode(sha256($1::bytea), 'hex')`,
        [token],
      );
      try {
        clock.offsetMs = expiresAt.getTime() - 1000 - Date.now();
        expect((await patAttempt(token)).status).toBe(200);
        patAccepted--; // the control request, not an attack
        clock.offsetMs = expiresAt.getTime() + 1000 - Date.now();
        await expectRefused(token);
      } finally {
        clock.offsetMs = 0;
      }
    });

    it("another organisation's token sees only its own organisation", async () => {
      await request(t.server)
        .post('/api/users')
        .set('Authorization', await authHeader(owner))
        .send({ emails: ['private@tokens.test'] })
        .expect(200);
      const ownerPat = await mintPat(t.url, owner);
      const strangerPat = await mintPat(t.url, otherOwner);
      const res = await patAttempt(strangerPat.token);
      patAccepted--; // answered, but with its own organisation's (empty) list
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain('private@tokens.test');
      // Its owner's token id is not found from the other organisation.
      const other = await request(t.server)
        .get(`/api/personal-access-tokens/${ownerPat.id}`)
        .set('Authorization', `Bearer ${strangerPat.token}`);
      expect(other.status).toBe(404);
    });

    it("403 for a disabled owner's token", async () => {
      const disabled = await seedMember(t.dataSource, {
        email: 'disabled@tokens.test',
        organisationId: owner.organisationId,
        type: 'owner',
      });
      const { token } = await mintPat(t.url, disabled);
      await t.dataSource.query(
        `UPDATE organisation_members SET status = 'disabled' WHERE user_id = $1`,
        [disabled.userId],
      );
      await expectRefused(token, 403);
    });

    it('answers an unknown, a revoked, a wrong-checksum and a garbage token in the same time', async () => {
      const internal = await authHeader(owner);
      const revoked = await mintPat(t.url, owner);
      await request(t.server)
        .delete(`/api/personal-access-tokens/${revoked.id}`)
        .set('Authorization', internal)
        .expect(200);
      const live = await mintPat(t.url, owner);
      const classes: Record<string, () => string> = {
        unknown: () => newPersonalAccessToken().token,
        revoked: () => revoked.token,
        wrongChecksum: () => `${live.token.slice(0, -6)}000000`,
        garbage: () => randomUUID().replaceAll('-', ''),
      };
      const names = Object.keys(classes);
      const timings = new Map<string, number[]>(names.map((name) => [name, []]));
      for (const name of names) await patAttempt(classes[name]());
      for (let i = 0; i < TIMING_SAMPLES; i++) {
        for (const name of names) {
          const token = classes[name]();
          const started = performance.now();
          const res = await patAttempt(token);
          timings.get(name)!.push(performance.now() - started);
          expect(res.status).toBe(401);
        }
      }
      const medians = names.map((name) => median(timings.get(name)!));
      const fastest = Math.min(...medians);
      const slowest = Math.max(...medians);
      // A class that skipped the hash lookup, or did more work, would stand out by a round trip.
      expect(slowest - fastest).toBeLessThan(Math.max(1.5, fastest * 0.3));

      expect(patAccepted).toBe(0);
      reportScenario('tokens-pat', {
        requests: patRequests,
        '5xx': patServerErrors,
        lost: 0,
        duplicated: 0,
        accepted: patAccepted,
        ...Object.fromEntries(
          names.map((name, i) => [
            `medianUs${name[0].toUpperCase()}${name.slice(1)}`,
            Math.round(medians[i] * 1000),
          ]),
        ),
      });
    });
  });
});
