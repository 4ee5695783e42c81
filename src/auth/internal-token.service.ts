import { Injectable } from '@nestjs/common';
import { SignJWT, jwtVerify, type JWTHeaderParameters } from 'jose';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';

/** The identity an internal token asserts; authority is checked against the database separately. */
export interface InternalIdentity {
  userId: string;
  organisationId: string;
}

const ALGORITHMS = ['HS256'];
/**
 * How far ahead of ours the issuer's clock may run (`iat` in the future). Expiry gets no such
 * allowance: a token is refused from the second its `exp` has passed, so skew can never lengthen
 * its life.
 */
const ISSUER_CLOCK_SKEW_SECONDS = 30;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Any failure to verify; deliberately says nothing about which check failed. */
export class InvalidTokenError extends Error {
  constructor() {
    super('invalid or expired token');
  }
}

/**
 * Verifies (and, for the CLI and tests, mints) the JWTs that BRMS's internal identity component
 * issues. All cryptography is jose's; algorithms are pinned to HS256, so `none` and asymmetric
 * algorithm confusion are refused before any key is used.
 */
@Injectable()
export class InternalTokenService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async verify(token: string): Promise<InternalIdentity> {
    const now = this.clock.now();
    try {
      const { payload } = await jwtVerify(token, (header) => this.keyFor(header), {
        algorithms: ALGORITHMS,
        issuer: this.config.auth.issuer,
        requiredClaims: ['sub', 'org', 'exp', 'iat'],
        clockTolerance: 0,
        currentDate: now,
      });
      const { sub, org, iat } = payload;
      const issuedInFuture =
        typeof iat !== 'number' || iat > now.getTime() / 1000 + ISSUER_CLOCK_SKEW_SECONDS;
      if (typeof sub !== 'string' || !UUID.test(sub)) throw new InvalidTokenError();
      if (typeof org !== 'string' || !UUID.test(org)) throw new InvalidTokenError();
      if (issuedInFuture) throw new InvalidTokenError();
      return { userId: sub.toLowerCase(), organisationId: org.toLowerCase() };
    } catch {
      throw new InvalidTokenError();
    }
  }

  /** Signs a token with the first configured key (its `kid` in the header when it has one). */
  async mint(identity: InternalIdentity, ttlSeconds: number): Promise<string> {
    const key = this.config.auth.keys[0];
    if (!key) throw new Error('no internal auth key configured');
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({ org: identity.organisationId })
      .setProtectedHeader(key.kid ? { alg: 'HS256', kid: key.kid } : { alg: 'HS256' })
      .setSubject(identity.userId)
      .setIssuer(this.config.auth.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(key.secret);
  }

  private keyFor(header: JWTHeaderParameters): Uint8Array {
    const key = this.config.auth.keys.find((k) => k.kid === header.kid);
    if (!key) throw new InvalidTokenError();
    return key.secret;
  }
}
