import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { OrganisationMember } from '../organisations/organisation-member.entity.js';
import { OrganisationMembersRepository } from '../organisations/organisation-members.repository.js';
import { OrganisationsRepository } from '../organisations/organisations.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { CliUsageError, organisationName, ownerEmail } from './input.js';

export interface OrganisationOwner {
  organisationId: string;
  userId: string;
}

/**
 * Creates organisations with their first owner, which no API call can do: every call needs a
 * member's token. Used by the CLI (`bootstrap`, `token`) and the development demo.
 */
@Injectable()
export class OrganisationBootstrapService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly organisations: OrganisationsRepository,
    private readonly members: OrganisationMembersRepository,
    private readonly users: UsersRepository,
  ) {}

  /**
   * A new organisation whose active owner is `owner` (an existing user, or a new one). A name that
   * is taken already, in any case, is refused: two organisations of one name are a mistake waiting to
   * happen.
   */
  async create(name: string, owner: string): Promise<OrganisationOwner> {
    const orgName = organisationName(name);
    const email = ownerEmail(owner);
    return this.dataSource.transaction(async (manager) => {
      // The same lock as ensure(): of two creates of one name, the second sees the first's row.
      await this.organisations.lockCreation(manager);
      const taken = await this.organisations.findByName(manager, orgName);
      if (taken) {
        throw new CliUsageError(
          `an organisation named "${taken.name}" exists already (${taken.id})`,
        );
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
      await this.organisations.lockCreation(manager);
      const existing = await this.members.findByOrganisationNameAndEmail(
        manager,
        orgName,
        email,
        'owner',
      );
      if (existing) {
        return { organisationId: existing.organisationId, userId: existing.userId, created: false };
      }
      return { ...(await this.insert(manager, orgName, email)), created: true };
    });
  }

  /** The member, when `userId` is an active member of the organisation (not a pending invitee). */
  async activeMember(
    organisationId: string,
    userId: string,
  ): Promise<Pick<OrganisationMember, 'organisationId' | 'userId' | 'type' | 'status'> | null> {
    const member = await this.members.role(this.dataSource.manager, organisationId, userId);
    return member && member.status === 'active' && member.type !== 'invited'
      ? { organisationId, userId, ...member }
      : null;
  }

  private async insert(
    manager: EntityManager,
    name: string,
    email: string,
  ): Promise<OrganisationOwner> {
    const organisationId = await this.organisations.insert(manager, name);
    // The user may exist already (a member elsewhere, or invited): reuse the row.
    const [user] = await this.users.upsertByEmail(manager, [email], new Date());
    if (user.isService) {
      throw new CliUsageError(`${email} is a service account, which cannot own an organisation`);
    }
    await this.members.add(manager, { organisationId, userId: user.id, type: 'owner' });
    return { organisationId, userId: user.id };
  }
}
