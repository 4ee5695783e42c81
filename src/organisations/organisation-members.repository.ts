import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rowsOf } from '../database/statements.js';
import type { MemberStatus, MemberType, OrganisationMember } from './organisation-member.entity.js';

/** Every statement on `organisation_members`. */
export const MEMBERS_SQL = {
  // Every authenticated request runs this one.
  role: `SELECT type, status FROM organisation_members WHERE organisation_id = $1 AND user_id = $2`,
  addInvited: `INSERT INTO organisation_members (organisation_id, user_id, type, status, created_at, updated_at)
       SELECT $1, v.user_id, 'invited', 'active', $3, $3 FROM unnest($2::uuid[]) AS v(user_id)
       ON CONFLICT DO NOTHING`,
  // Rows are locked in the order of the addresses, so overlapping requests cannot deadlock.
  membersAmong: `SELECT u.email FROM organisation_members m JOIN users u ON u.id = m.user_id
        WHERE m.organisation_id = $1 AND m.user_id = ANY($2::uuid[]) AND m.type <> 'invited'
        ORDER BY u.email
          FOR SHARE`,
} as const;

/** Who belongs to which organisation, and as what. */
@Injectable()
export class OrganisationMembersRepository {
  async role(
    db: EntityManager,
    organisationId: string,
    userId: string,
  ): Promise<Pick<OrganisationMember, 'type' | 'status'> | undefined> {
    const [row] = await rowsOf<Pick<OrganisationMember, 'type' | 'status'>>(db, MEMBERS_SQL.role, [
      organisationId,
      userId,
    ]);
    return row;
  }

  /** An `invited` membership for each user that has none in the organisation. */
  async addInvited(
    db: EntityManager,
    organisationId: string,
    userIds: string[],
    now: Date,
  ): Promise<void> {
    await rowsOf(db, MEMBERS_SQL.addInvited, [organisationId, userIds, now]);
  }

  /** The addresses of those users who are members already (not invitees), rows locked FOR SHARE. */
  async membersAmong(
    db: EntityManager,
    organisationId: string,
    userIds: string[],
  ): Promise<string[]> {
    const rows = await rowsOf<{ email: string }>(db, MEMBERS_SQL.membersAmong, [
      organisationId,
      userIds,
    ]);
    return rows.map((row) => row.email);
  }

  /** The invitee becomes a member. */
  async promoteInvited(
    db: EntityManager,
    organisationId: string,
    userId: string,
    now: Date,
  ): Promise<void> {
    await rowsOf(
      db,
      `UPDATE organisation_members SET type = 'member', updated_at = $3
        WHERE organisation_id = $1 AND user_id = $2 AND type = 'invited'`,
      [organisationId, userId, now],
    );
  }

  async removeInvited(db: EntityManager, organisationId: string, userId: string): Promise<void> {
    await rowsOf(
      db,
      `DELETE FROM organisation_members
        WHERE organisation_id = $1 AND user_id = $2 AND type = 'invited'`,
      [organisationId, userId],
    );
  }

  async add(
    db: EntityManager,
    member: Pick<OrganisationMember, 'organisationId' | 'userId' | 'type'>,
  ): Promise<void> {
    await rowsOf(
      db,
      `INSERT INTO organisation_members (organisation_id, user_id, type, status)
       VALUES ($1, $2, $3, 'active')`,
      [member.organisationId, member.userId, member.type],
    );
  }

  /** The oldest active member of this type in the organisation named `name` with that address. */
  async findByOrganisationNameAndEmail(
    db: EntityManager,
    name: string,
    email: string,
    type: MemberType,
  ): Promise<Pick<OrganisationMember, 'organisationId' | 'userId'> | undefined> {
    const [row] = await rowsOf<Pick<OrganisationMember, 'organisationId' | 'userId'>>(
      db,
      `SELECT m.organisation_id AS "organisationId", m.user_id AS "userId"
         FROM organisation_members m
         JOIN organisations o ON o.id = m.organisation_id
         JOIN users u ON u.id = m.user_id
        WHERE lower(o.name) = lower($1) AND u.email = $2 AND m.type = $3 AND m.status = 'active'
        ORDER BY m.created_at
        LIMIT 1`,
      [name, email, type],
    );
    return row;
  }

  /**
   * Locks the organisation's active owners (in one order, so two callers never deadlock) until
   * the transaction ends, and answers their ids. Whoever would take away an active owner locks
   * them first: of two concurrent demotions of the last two owners, the second waits, then sees
   * one owner left.
   */
  async lockActiveOwners(db: EntityManager, organisationId: string): Promise<string[]> {
    const rows = await rowsOf<{ userId: string }>(
      db,
      `SELECT user_id AS "userId" FROM organisation_members
        WHERE organisation_id = $1 AND type = 'owner' AND status = 'active'
        ORDER BY user_id
          FOR UPDATE`,
      [organisationId],
    );
    return rows.map((row) => row.userId);
  }

  /** Whether the user is a member (invitee included) of any organisation but this one. */
  async belongsElsewhere(
    db: EntityManager,
    organisationId: string,
    userId: string,
  ): Promise<boolean> {
    const rows = await rowsOf(
      db,
      `SELECT 1 FROM organisation_members WHERE user_id = $2 AND organisation_id <> $1 LIMIT 1`,
      [organisationId, userId],
    );
    return rows.length > 0;
  }

  /** The membership, locked until the transaction ends. */
  async lockMember(
    db: EntityManager,
    organisationId: string,
    userId: string,
  ): Promise<Pick<OrganisationMember, 'type' | 'status' | 'isService'> | undefined> {
    const [row] = await rowsOf<Pick<OrganisationMember, 'type' | 'status' | 'isService'>>(
      db,
      `SELECT type, status, is_service AS "isService" FROM organisation_members
        WHERE organisation_id = $1 AND user_id = $2
          FOR UPDATE`,
      [organisationId, userId],
    );
    return row;
  }

  /** Sets the type and status given (undefined: unchanged) and marks the membership updated. */
  async update(
    db: EntityManager,
    organisationId: string,
    userId: string,
    change: { type?: MemberType; status?: MemberStatus },
    now: Date,
  ): Promise<void> {
    await rowsOf(
      db,
      `UPDATE organisation_members
          SET type = coalesce($3, type), status = coalesce($4, status), updated_at = $5
        WHERE organisation_id = $1 AND user_id = $2`,
      [organisationId, userId, change.type ?? null, change.status ?? null, now],
    );
  }

  /** An active membership created at `now` (a service account's). */
  async addActive(
    db: EntityManager,
    member: Pick<OrganisationMember, 'organisationId' | 'userId' | 'type'>,
    now: Date,
  ): Promise<void> {
    await rowsOf(
      db,
      `INSERT INTO organisation_members (organisation_id, user_id, type, status, created_at, updated_at)
       VALUES ($1, $2, $3, 'active', $4, $4)`,
      [member.organisationId, member.userId, member.type, now],
    );
  }
}
