import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { OrganisationMember } from '../organisations/organisation-member.entity.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { User } from '../users/user.entity.js';
import { CliUsageError, organisationName, ownerEmail } from './input.js';

export interface OrganisationOwner {
  organisationId: string;
  userId: string;
}

// Any constant: it serializes ensure() and create() (two `npm start`s on one .data/, two CLIs).
const ENSURE_LOCK_KEY = 0x62726d73;

/**
 * Creates organisations with their first owner, which no API call can do: every call needs a
 * member's token. Used by the CLI (`bootstrap`, `token`) and the development demo.
 */
@Injectable()
export class OrganisationBootstrapService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * A new organisation whose active owner is `owner` (an existing user, or a new one). A name that
   * is taken already is refused: two organisations of one name are a mistake waiting to happen.
   */
  async create(name: string, owner: string): Promise<OrganisationOwner> {
    const orgName = organisationName(name);
    const email = ownerEmail(owner);
    return this.dataSource.transaction(async (manager) => {
      // The same lock as ensure(): of two creates of one name, the second sees the first's row.
      await manager.query('SELECT pg_advisory_xact_lock($1)', [ENSURE_LOCK_KEY]);
      const taken = await manager.getRepository(Organisation).findOne({
        where: { name: orgName },
        select: { id: true },
      });
      if (taken) {
        throw new CliUsageError(`an organisation named "${orgName}" exists already (${taken.id})`);
      }
      return this.insert(manager, orgName, email);
    });
  }

  /**
   * The organisation named `name` that `owner` owns, created when there is none. Returns
   * `created: true` when this call created it.
   */
  async ensure(name: string, owner: string): Promise<OrganisationOwner & { created: boolean }> {
    const orgName = organisationName(name);
    const email = ownerEmail(owner);
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [ENSURE_LOCK_KEY]);
      const existing = await manager
        .createQueryBuilder(OrganisationMember, 'm')
        .innerJoin('m.organisation', 'o')
        .innerJoin('m.user', 'u')
        .where('o.name = :orgName AND u.email = :email', { orgName, email })
        .andWhere("m.type = 'owner' AND m.status = 'active'")
        .orderBy('m.createdAt', 'ASC')
        .getOne();
      if (existing) {
        return { organisationId: existing.organisationId, userId: existing.userId, created: false };
      }
      return { ...(await this.insert(manager, orgName, email)), created: true };
    });
  }

  /** The member, when `userId` is an active member of the organisation (not a pending invitee). */
  async activeMember(organisationId: string, userId: string): Promise<OrganisationMember | null> {
    const member = await this.dataSource
      .getRepository(OrganisationMember)
      .findOne({ where: { organisationId, userId } });
    return member && member.status === 'active' && member.type !== 'invited' ? member : null;
  }

  private async insert(
    manager: EntityManager,
    name: string,
    email: string,
  ): Promise<OrganisationOwner> {
    const organisation = await manager
      .createQueryBuilder()
      .insert()
      .into(Organisation)
      .values({ name })
      .returning(['id'])
      .execute();
    const organisationId = (organisation.raw as { id: string }[])[0].id;
    // The user may exist already (a member elsewhere, or invited): reuse the row.
    const user = await manager
      .createQueryBuilder()
      .insert()
      .into(User)
      .values({ email })
      .orUpdate(['email'], ['email'])
      .returning(['id'])
      .execute();
    const userId = (user.raw as { id: string }[])[0].id;
    await manager
      .createQueryBuilder()
      .insert()
      .into(OrganisationMember)
      .values({ organisationId, userId, type: 'owner', status: 'active' })
      .execute();
    return { organisationId, userId };
  }
}
