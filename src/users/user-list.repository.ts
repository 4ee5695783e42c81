import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { KeysetPage, type KeyedRow } from '../common/keyset-page.js';
import { rowsOf } from '../database/statements.js';
import type { MemberStatus, MemberType } from '../organisations/organisation-member.entity.js';
import { userSearchSql } from './users.repository.js';

/** A role as a user lists it (GoRules leaves `description` out when there is none). */
export interface ListedRole {
  id: string;
  name: string;
  description?: string;
}

/** A user as GoRules' User: the person, and their membership of one organisation. */
export interface UserRow {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  type: MemberType;
  status: MemberStatus;
  isService: boolean;
  createdAt: Date;
  updatedAt: Date;
  roles: ListedRole[];
}

export interface UserListFilter {
  isService?: boolean;
  search?: string;
  limit: number;
  offset: number;
}

/** listUsers' WHERE conditions over MEMBER_KEYS (`m`, user_id AS id), shared by page and count. */
function listConditions(
  organisationId: string,
  filter: Pick<UserListFilter, 'isService' | 'search'>,
  param: (value: unknown) => string,
): string[] {
  const conditions = [`organisation_id = ${param(organisationId)}`];
  if (filter.isService !== undefined) conditions.push(`is_service = ${param(filter.isService)}`);
  if (filter.search) {
    const escaped = filter.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
    const pattern = param(`%${escaped}%`);
    conditions.push(
      `id IN (SELECT u.id FROM users AS u WHERE ${userSearchSql('u')} LIKE ${pattern})`,
      // An invitee's names are not this organisation's to see, so not to search either: an
      // invitee matches by address only.
      `(NOT EXISTS (SELECT 1 FROM organisation_members AS im
                     WHERE im.organisation_id = ${param(organisationId)} AND im.user_id = m.id
                       AND im.type = 'invited')
        OR EXISTS (SELECT 1 FROM users AS ue WHERE ue.id = m.id AND ue.email LIKE ${pattern}))`,
    );
  }
  return conditions;
}

/**
 * The membership keys under the names KeysetPage pages by (`created_at`, `id`): only what the
 * indexes on (organisation_id[, is_service], created_at, user_id) hold, so the rows a deep page
 * skips are read from the index alone.
 */
const MEMBER_KEYS = `(SELECT organisation_id, user_id AS id, is_service, created_at
                        FROM organisation_members) AS m`;

/** A User from a membership `m` and its user `u`, with the roles it holds. */
// An invitee's names are not shown: they are the person's own, set where they are a member, and
// an invitation must not reveal them to an organisation the person has not joined.
const USER_COLUMNS = `m.user_id AS id, u.email,
       CASE WHEN m.type = 'invited' THEN NULL ELSE u.first_name END AS "firstName",
       CASE WHEN m.type = 'invited' THEN NULL ELSE u.last_name END AS "lastName", m.type, m.status, m.is_service AS "isService",
       m.created_at AS "createdAt", m.updated_at AS "updatedAt",
       (SELECT coalesce(json_agg(json_strip_nulls(json_build_object(
                 'id', r.id, 'name', r.name, 'description', r.description)) ORDER BY r.name, r.id),
               '[]')
          FROM member_roles AS mr
          JOIN roles AS r ON r.organisation_id = mr.organisation_id AND r.id = mr.role_id
         WHERE mr.organisation_id = m.organisation_id AND mr.user_id = m.user_id) AS roles`;

/**
 * listUsers' statements and the one User an operation answers: a page cut from
 * `organisation_members` alone (its index on organisation, created_at, user), only its rows joined
 * to users and roles; the total read from `member_counts` (kept by triggers, migration
 * ServiceAccounts) unless a search narrows what is counted.
 */
@Injectable()
export class UserListRepository {
  async list(
    db: EntityManager,
    organisationId: string,
    filter: UserListFilter,
  ): Promise<{ rows: UserRow[]; total: number }> {
    const page = new KeysetPage({ limit: filter.limit, offset: filter.offset });
    for (const condition of listConditions(organisationId, filter, (v) => page.param(v))) {
      page.where(condition);
    }
    const rows = await rowsOf<UserRow & KeyedRow>(
      db,
      `WITH page AS (
         SELECT id, created_at, created_at::text AS "createdKey" FROM ${MEMBER_KEYS} ${page.tail()})
       SELECT ${USER_COLUMNS}, p."createdKey"
         FROM page AS p
         JOIN organisation_members AS m ON m.organisation_id = $1 AND m.user_id = p.id -- $1: listConditions' organisation
         JOIN users AS u ON u.id = p.id
        ORDER BY p.created_at DESC, p.id DESC`,
      page.values,
    );

    const values: unknown[] = [];
    const param = (value: unknown) => `$${values.push(value)}`;
    const where = listConditions(organisationId, filter, param).join(' AND ');
    const [counts] = await rowsOf<{ total: number }>(
      db,
      filter.search
        ? `SELECT count(*)::int AS total FROM ${MEMBER_KEYS} WHERE ${where}`
        : // The kept count has the same organisation_id and is_service columns.
          `SELECT coalesce(sum(n), 0)::int AS total FROM member_counts WHERE ${where}`,
      values,
    );
    return { rows: page.page(rows).rows.map(withoutKey), total: counts.total };
  }

  /** One member of the organisation as a User, or undefined. */
  async find(
    db: EntityManager,
    organisationId: string,
    userId: string,
  ): Promise<UserRow | undefined> {
    const [row] = await rowsOf<UserRow>(
      db,
      `SELECT ${USER_COLUMNS}
         FROM organisation_members AS m JOIN users AS u ON u.id = m.user_id
        WHERE m.organisation_id = $1 AND m.user_id = $2`,
      [organisationId, userId],
    );
    return row;
  }
}

function withoutKey({ createdKey: _, ...row }: UserRow & KeyedRow): UserRow {
  return row;
}
