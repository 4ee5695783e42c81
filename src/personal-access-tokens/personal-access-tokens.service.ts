import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditAction } from '../audit/audit-log-entry.entity.js';
import { AuditService } from '../audit/audit.service.js';
import { Clock } from '../common/clock.js';
import { ProblemException } from '../errors/problem.js';
import type { CreatePersonalAccessTokenDto } from './dto/create-personal-access-token.dto.js';
import { newPersonalAccessToken } from './personal-access-token.js';
import { patExpiresAt, type PatExpiry } from './personal-access-token-expiry.js';
import {
  PersonalAccessTokensRepository,
  type PersonalAccessTokenRow,
} from './personal-access-tokens.repository.js';

/**
 * Whose tokens an operation manages: the caller's own, or a service account's. The actor of a
 * change is the caller, or null for the operator's CLI.
 */
export interface TokenOwner {
  organisationId: string;
  userId: string;
}

type TokenAction = Extract<AuditAction, `personalAccessToken.${string}`>;

function tokenNotFound(): ProblemException {
  return new ProblemException(404, { detail: 'No personal access token with this id' });
}

/**
 * The token rules: a token acts as its owner; its value exists only in the answer to create and
 * regenerate; every create, regenerate and delete is audited in its own transaction.
 */
@Injectable()
export class PersonalAccessTokensService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tokens: PersonalAccessTokensRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * The service account `userId` of the caller's organisation, as the owner of the tokens an
   * operation manages; 404 for anyone else, so ids of other organisations' accounts say nothing.
   */
  async serviceAccount(organisationId: string, userId: string): Promise<TokenOwner> {
    if (!(await this.tokens.isServiceAccountOf(this.dataSource.manager, organisationId, userId))) {
      throw new ProblemException(404, {
        detail: 'No service account with this id in this organisation',
      });
    }
    return { organisationId, userId };
  }

  list(owner: TokenOwner): Promise<PersonalAccessTokenRow[]> {
    return this.tokens.list(this.dataSource.manager, owner.organisationId, owner.userId);
  }

  async get(owner: TokenOwner, id: string): Promise<PersonalAccessTokenRow> {
    const row = await this.tokens.find(
      this.dataSource.manager,
      owner.organisationId,
      owner.userId,
      id,
    );
    if (!row) throw tokenNotFound();
    return row;
  }

  /**
   * `projects` are kept as given (deduplicated): this service has no projects to check them
   * against, and none of its operations is project-scoped, so they restrict nothing here yet.
   */
  create(
    actorId: string | null,
    owner: TokenOwner,
    body: CreatePersonalAccessTokenDto,
  ): Promise<{ row: PersonalAccessTokenRow; token: string }> {
    const now = this.clock.now();
    const { token, hash } = newPersonalAccessToken();
    return this.dataSource.transaction(async (tx) => {
      const row = await this.tokens.insert(tx, {
        organisationId: owner.organisationId,
        userId: owner.userId,
        note: body.note,
        tokenHash: hash,
        permissions: [...new Set(body.permissions ?? [])],
        allProjects: body.allProjects,
        projects: [...new Set((body.projects ?? []).map((id) => id.toLowerCase()))],
        expiresAt: patExpiresAt(body.expiry, now),
        createdAt: now,
      });
      await this.record(tx, actorId, row, 'personalAccessToken.created', now);
      return { row, token };
    });
  }

  /** A new value and expiry; the old value is refused from the commit on. */
  regenerate(
    actorId: string | null,
    owner: TokenOwner,
    id: string,
    expiry: PatExpiry,
  ): Promise<{ row: PersonalAccessTokenRow; token: string }> {
    const now = this.clock.now();
    const { token, hash } = newPersonalAccessToken();
    return this.dataSource.transaction(async (tx) => {
      const row = await this.tokens.regenerate(tx, owner.organisationId, owner.userId, id, {
        tokenHash: hash,
        expiresAt: patExpiresAt(expiry, now),
        updatedAt: now,
      });
      if (!row) throw tokenNotFound();
      await this.record(tx, actorId, row, 'personalAccessToken.regenerated', now);
      return { row, token };
    });
  }

  delete(actorId: string | null, owner: TokenOwner, id: string): Promise<PersonalAccessTokenRow> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (tx) => {
      const row = await this.tokens.delete(tx, owner.organisationId, owner.userId, id);
      if (!row) throw tokenNotFound();
      await this.record(tx, actorId, row, 'personalAccessToken.deleted', now);
      return row;
    });
  }

  /** The audit entry names the token and its owner, never its value or hash. */
  private record(
    tx: EntityManager,
    actorId: string | null,
    row: PersonalAccessTokenRow,
    action: TokenAction,
    now: Date,
  ): Promise<void> {
    return this.audit.record(tx, [
      {
        organisationId: row.organisationId,
        actorId,
        type: 'personalAccessToken',
        action,
        refId: row.id,
        data: {
          note: row.note,
          ownerId: row.userId,
          expiresAt: row.expiresAt?.toISOString() ?? null,
        },
        createdAt: now,
      },
    ]);
  }
}
