import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Clock } from '../common/clock.js';
import {
  hashPersonalAccessToken,
  isWellFormedPersonalAccessToken,
} from '../personal-access-tokens/personal-access-token.js';
import { isPatExpired } from '../personal-access-tokens/personal-access-token-expiry.js';
import {
  PersonalAccessTokensRepository,
  type PersonalAccessTokenCredential,
} from '../personal-access-tokens/personal-access-tokens.repository.js';
import { InvalidTokenError } from './internal-token.service.js';

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves `Bearer <personal access token>` to the token and its owner's membership, with one
 * indexed query by the token's hash. Every presented value takes the same path (hash, lookup,
 * then the checks), so a malformed, unknown, revoked or expired token is refused in the same time
 * and the answer says nothing about which it was.
 */
@Injectable()
export class PersonalAccessTokenVerifier {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tokens: PersonalAccessTokensRepository,
    private readonly clock: Clock,
  ) {}

  async verify(token: string): Promise<PersonalAccessTokenCredential> {
    const wellFormed = isWellFormedPersonalAccessToken(token);
    const credential = await this.tokens.authenticate(
      this.dataSource.manager,
      hashPersonalAccessToken(token),
    );
    if (!wellFormed || !credential || isPatExpired(credential.expiresAt, this.clock.now())) {
      throw new InvalidTokenError();
    }
    return credential;
  }

  /** Records the use, at most once a minute per token: most requests write nothing. */
  async markUsed(credential: PersonalAccessTokenCredential): Promise<void> {
    const now = this.clock.now();
    const last = credential.lastUsedAt?.getTime();
    if (last !== undefined && now.getTime() - last < LAST_USED_RESOLUTION_MS) return;
    await this.tokens.touch(this.dataSource.manager, credential.id, now);
  }
}
