import { Injectable } from '@nestjs/common';
import { webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify, type CryptoKey, type JWTHeaderParameters } from 'jose';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
// The rule ParseUUIDPipe applies to path parameters, so every id is checked alike.
import { isUUID } from 'class-validator';

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
  /**
   * HMAC keys imported into Web Crypto once, by `kid`: jose would otherwise import the raw secret
   * again on every verification, which every authenticated request pays for.
   */
  private readonly cryptoKeys: Map<string | undefined, Promise<CryptoKey>>;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.cryptoKeys = new Map(
      config.auth.keys.map((key) => [
        key.kid,
        webcrypto.subtle.importKey('raw', key.secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
          'sign',
          'verify',
        ]),
      ]),
    );
  }

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
      if (typeof sub !== 'string' || !isUUID(sub)) throw new InvalidTokenError();
      if (typeof org !== 'string' || !isUUID(org)) throw new InvalidTokenError();
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
      .sign(await this.cryptoKeys.get(key.kid)!);
  }

  private keyFor(header: JWTHeaderParameters): Promise<CryptoKey> {
    const key = this.cryptoKeys.get(header.kid);
    if (!key) throw new InvalidTokenError();
    return key;
  }
}
