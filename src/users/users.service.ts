import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { retryOnConflict } from '../database/retry.js';
import { PROBLEM_TYPES, ProblemException } from '../errors/problem.js';
import { validationProblem } from '../errors/validation.js';
import { DEFAULT_PER_PAGE } from '../invitations/dto/invitation-list.dto.js';
import type { MemberStatus, MemberType } from '../organisations/organisation-member.entity.js';
import { OrganisationMembersRepository } from '../organisations/organisation-members.repository.js';
import { MemberRolesRepository } from '../roles/member-roles.repository.js';
import { RolesRepository } from '../roles/roles.repository.js';
import {
  SERVICE_ACCOUNT_TYPES,
  type CreateServiceAccountDto,
} from './dto/create-service-account.dto.js';
import type { ListUsersQueryDto } from './dto/list-users.dto.js';
import type { UpdateUserDto } from './dto/update-user.dto.js';
import { UserListRepository, type UserRow } from './user-list.repository.js';
import { UsersRepository } from './users.repository.js';

/** A page of listUsers and where it lies in the whole list (GoRules' `paginate`). */
export interface UserPage {
  rows: UserRow[];
  paginate: { current: number; from: number; to: number; total: number; pageSize: number };
}

/** What an update changed: each field's value before and after, only the fields that changed. */
type Changes = Record<string, { before: unknown; after: unknown }>;

function forbidden(detail: string): ProblemException {
  return new ProblemException(403, { type: PROBLEM_TYPES.forbidden, detail });
}

function notFound(): ProblemException {
  return new ProblemException(404, { detail: 'This organisation has no user with that id' });
}

/** A name as stored: trimmed by the DTO, and an empty one is no name. */
const storedName = (name: string) => (name === '' ? null : name);

/**
 * GoRules' User operations on the caller's organisation: list its members (invitees included:
 * GoRules' `invited` type), change one, create a service account. Each change writes one audit
 * entry in its transaction; the last active owner is protected by row locks, not by a check that
 * a concurrent request could slip past.
 */
@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly userList: UserListRepository,
    private readonly users: UsersRepository,
    private readonly members: OrganisationMembersRepository,
    private readonly roles: RolesRepository,
    private readonly memberRoles: MemberRolesRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Newest members first, by page number; the total is exact. */
  async list(organisationId: string, query: ListUsersQueryDto): Promise<UserPage> {
    const perPage = query.perPage ?? DEFAULT_PER_PAGE;
    const page = query.page ?? 1;
    const before = (page - 1) * perPage;
    const { rows, total } = await this.userList.list(this.dataSource.manager, organisationId, {
      isService: query.isService === undefined ? undefined : query.isService === 'true',
      search: query.search,
      limit: perPage,
      offset: before,
    });
    return {
      rows,
      paginate: {
        current: page,
        from: rows.length > 0 ? before + 1 : 0,
        to: rows.length > 0 ? before + rows.length : 0,
        total,
        pageSize: perPage,
      },
    };
  }

  /**
   * Changes names, type, status and roles of a member of the caller's organisation. Owners may
   * change anyone; admins anyone but owners, and cannot make an owner. Nobody changes their own
   * type. The last active owner is never demoted, disabled or locked.
   */
  async update(principal: Principal, userId: string, body: UpdateUserDto): Promise<UserRow> {
    // Invites lock a user before their membership, this the other way round: the rare deadlock of
    // the two (an owner renamed while invited again) is settled by running the loser again.
    return retryOnConflict(() => this.updateInTransaction(principal, userId, body));
  }

  private updateInTransaction(
    principal: Principal,
    userId: string,
    body: UpdateUserDto,
  ): Promise<UserRow> {
    return this.dataSource.transaction(async (tx) => {
      const { organisationId } = principal;
      const now = this.clock.now();
      // The owners are locked before the member: every update that could take an owner away
      // takes its locks in the same order, so concurrent ones queue instead of deadlocking.
      const touchesMembership = body.type !== undefined || body.status !== undefined;
      const owners = touchesMembership
        ? await this.members.lockActiveOwners(tx, organisationId)
        : [];
      const member = await this.members.lockMember(tx, organisationId, userId);
      const current = member && (await this.userList.find(tx, organisationId, userId));
      if (!member || !current) throw notFound();

      this.checkAuthority(principal, member.type, body.type);
      const type = body.type ?? member.type;
      const status = body.status ?? member.status;
      if (type !== member.type) checkTypeChange(principal, userId, member, type);
      const wasActiveOwner = member.type === 'owner' && member.status === 'active';
      const staysActiveOwner = type === 'owner' && status === 'active';
      if (wasActiveOwner && !staysActiveOwner && !owners.some((id) => id !== userId)) {
        throw new ProblemException(409, {
          detail: 'The last active owner of an organisation cannot be demoted, disabled or locked',
        });
      }
      const roles = body.roles && (await this.checkRoles(tx, organisationId, body.roles));

      const changes: Changes = {};
      const change = (field: string, before: unknown, after: unknown) => {
        const same = JSON.stringify(before) === JSON.stringify(after);
        if (after !== undefined && !same) changes[field] = { before, after };
      };
      const firstName = body.firstName === undefined ? undefined : storedName(body.firstName);
      const lastName = body.lastName === undefined ? undefined : storedName(body.lastName);
      change('firstName', current.firstName, firstName);
      change('lastName', current.lastName, lastName);
      change('type', member.type, type);
      change('status', member.status, status);
      const roleIdsBefore = current.roles.map((role) => role.id).sort();
      change('roles', roleIdsBefore, roles && [...roles].sort());
      if (Object.keys(changes).length === 0) return current;

      if (changes.firstName || changes.lastName) {
        await this.checkNamesAreOurs(tx, organisationId, userId, member.type, changes);
        await this.users.updateNames(tx, userId, {
          firstName: changes.firstName && firstName,
          lastName: changes.lastName && lastName,
        });
      }
      if (roles && changes.roles) await this.memberRoles.replace(tx, organisationId, userId, roles);
      await this.members.update(
        tx,
        organisationId,
        userId,
        { type: changes.type && type, status: changes.status && status },
        now,
      );
      await this.audit.record(tx, [
        {
          organisationId,
          actorId: principal.userId,
          type: 'user',
          action: 'user.updated',
          refId: userId,
          data: {
            before: Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v.before])),
            after: Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v.after])),
          },
          createdAt: now,
        },
      ]);
      return (await this.userList.find(tx, organisationId, userId))!;
    });
  }

  /**
   * A service account in the caller's organisation: a user of its own (an address no user has),
   * an active admin or member at once. It is never invited nor emailed.
   */
  async createServiceAccount(
    principal: Principal,
    body: CreateServiceAccountDto,
  ): Promise<UserRow> {
    return this.dataSource.transaction(async (tx) => {
      const { organisationId } = principal;
      const now = this.clock.now();
      const email = body.email.toLowerCase();
      const type = body.type ?? 'member';
      const userId = await this.users.insertService(tx, email, now);
      if (!userId) {
        throw new ProblemException(409, {
          detail: `${email} belongs to a user already; a service account needs an address of its own`,
        });
      }
      await this.members.addActive(tx, { organisationId, userId, type }, now);
      await this.audit.record(tx, [
        {
          organisationId,
          actorId: principal.userId,
          type: 'user',
          action: 'user.service_account_created',
          refId: userId,
          data: { email, type },
          createdAt: now,
        },
      ]);
      return (await this.userList.find(tx, organisationId, userId))!;
    });
  }

  /**
   * Names live on the person, who may belong to other organisations too: one organisation setting
   * them would rename that person everywhere. So an admin sets them only for someone who is a
   * member here alone, and never for an invitee, who has not joined yet.
   */
  private async checkNamesAreOurs(
    tx: EntityManager,
    organisationId: string,
    userId: string,
    type: MemberType,
    changes: Changes,
  ): Promise<void> {
    const fields = ['firstName', 'lastName'].filter((field) => changes[field]);
    const refuse = (message: string) =>
      validationProblem(fields.map((path) => ({ path, message })));
    if (type === 'invited') {
      throw refuse('an invitee sets their own name when they join');
    }
    if (await this.members.belongsElsewhere(tx, organisationId, userId)) {
      throw refuse('this person belongs to another organisation too; only they can change it');
    }
  }

  /** Admins manage members, authors and admins; owners are an owner's business. */
  private checkAuthority(
    principal: Principal,
    targetType: MemberType,
    newType: MemberType | undefined,
  ): void {
    if (principal.type === 'owner') return;
    if (targetType === 'owner') throw forbidden('Only an owner can change an owner');
    if (newType === 'owner') throw forbidden('Only an owner can make someone an owner');
  }

  /** The role ids, when every one is a role of the organisation; a 400 naming the others. */
  private async checkRoles(
    tx: EntityManager,
    organisationId: string,
    ids: string[],
  ): Promise<string[]> {
    const lowered = ids.map((id) => id.toLowerCase());
    const known = new Set(await this.roles.idsIn(tx, organisationId, lowered));
    const unknown = lowered.flatMap((id, index) => (known.has(id) ? [] : [{ id, index }]));
    if (unknown.length > 0) {
      throw validationProblem(
        unknown.map(({ id, index }) => ({
          path: `roles[${index}]`,
          message: `${id} is not a role of this organisation`,
        })),
      );
    }
    return lowered;
  }
}

/** The type changes GoRules' enum allows but this organisation's rules do not. */
function checkTypeChange(
  principal: Principal,
  userId: string,
  member: { type: MemberType; status: MemberStatus; isService: boolean },
  type: MemberType,
): void {
  const refuse = (message: string) => validationProblem([{ path: 'type', message }]);
  if (userId === principal.userId) throw refuse('you cannot change your own type');
  if (type === 'invited') {
    throw refuse('a member cannot become invited again; revoke or disable instead');
  }
  if (member.type === 'invited') {
    throw refuse('an invited user becomes a member by accepting the invitation');
  }
  if (member.isService && !(SERVICE_ACCOUNT_TYPES as readonly string[]).includes(type)) {
    throw refuse(`a service account is an ${SERVICE_ACCOUNT_TYPES.join(' or a ')}`);
  }
}
