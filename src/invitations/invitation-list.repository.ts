import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { KeysetPage, type KeyedRow, type PageRequest } from '../common/keyset-page.js';
import { decodeCursor } from '../common/cursor.js';
import { rowsOf } from '../database/statements.js';
import type { MemberStatus, MemberType } from '../organisations/organisation-member.entity.js';
import type { InvitationRow } from './invitations.repository.js';

/** The statuses listInvitations shows (GoRules' enum): revoked and stored-expired ones are left out. */
export const LISTED_STATUSES = ['pending', 'accepted'] as const;

/** What listInvitations filters by. */
export interface ListFilter {
  status?: 'pending' | 'accepted';
  search?: string;
}

/** A user as a listed invitation names it: type and status are their membership's. */
export interface ListedUser {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  type: MemberType;
  status: MemberStatus;
}

/** A row of listInvitations. */
export type InvitationListRow = Pick<
  InvitationRow,
  'id' | 'email' | 'createdAt' | 'expiresAt' | 'acceptedAt' | 'deliveryStatus' | 'lastSentAt'
> & {
  status: 'pending' | 'accepted';
  user: ListedUser;
  createdBy: ListedUser | null;
  organisation: { id: string; name: string };
};

export interface InvitationList {
  rows: InvitationListRow[];
  nextCursor: string | null;
  /** Invitations that match the filter, and how many of them come before this page. */
  total: number;
  before: number;
}

/** listInvitations' WHERE conditions, shared by the page and the count. */
function listConditions(
  organisationId: string,
  filter: ListFilter,
  param: (value: unknown) => string,
): string[] {
  const conditions = [`organisation_id = ${param(organisationId)}`];
  conditions.push(
    `status = ANY(${param(filter.status ? [filter.status] : LISTED_STATUSES)}::text[])`,
  );
  if (filter.search) {
    const escaped = filter.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
    conditions.push(`email LIKE ${param(`%${escaped}%`)}`);
  }
  return conditions;
}

/**
 * listInvitations' statements: the page, cut from `invitations`, and its total, read from
 * `invitation_counts` (kept by triggers on `invitations`, migration InvitationCounts).
 */
@Injectable()
export class InvitationListRepository {
  /**
   * One organisation's invitations as GoRules lists them, newest first: a numbered page (`offset`)
   * or the page after a keyset `cursor`, with the count of all that match and, after a cursor, of
   * those up to it (the cursor is the previous page's last row). Revoked invitations (and any stored as expired) are not listed; a pending one
   * past its expiry is listed as pending. The page is cut from `invitations` alone (its index)
   * and only its rows are joined to their users, inviter and organisation.
   */
  async list(
    db: EntityManager,
    organisationId: string,
    filter: ListFilter & PageRequest,
  ): Promise<InvitationList> {
    const page = new KeysetPage(filter);
    for (const condition of listConditions(organisationId, filter, (v) => page.param(v))) {
      page.where(condition);
    }
    const rows = await rowsOf<InvitationListRow & KeyedRow>(
      db,
      `WITH page AS (
         SELECT id, organisation_id, user_id, invited_by, email, status, created_at,
                created_at::text AS "createdKey", expires_at, accepted_at, delivery_status,
                last_sent_at
           FROM invitations ${page.tail()})
       SELECT p.id, p.email, p.status, p.created_at AS "createdAt", p."createdKey",
              p.expires_at AS "expiresAt", p.accepted_at AS "acceptedAt",
              p.delivery_status AS "deliveryStatus", p.last_sent_at AS "lastSentAt",
              json_build_object('id', u.id, 'email', u.email,
                'firstName', CASE WHEN COALESCE(um.type, 'invited') = 'invited' THEN NULL
                                  ELSE u.first_name END,
                'lastName', CASE WHEN COALESCE(um.type, 'invited') = 'invited' THEN NULL
                                 ELSE u.last_name END,
                'type', COALESCE(um.type, 'invited'),
                'status', COALESCE(um.status, 'active')) AS "user",
              CASE WHEN cm.user_id IS NULL THEN NULL
                ELSE json_build_object('id', c.id, 'email', c.email, 'firstName', c.first_name,
                  'lastName', c.last_name, 'type', cm.type, 'status', cm.status) END AS "createdBy",
              json_build_object('id', o.id, 'name', o.name) AS organisation
         FROM page AS p
         JOIN users AS u ON u.id = p.user_id
         JOIN organisations AS o ON o.id = p.organisation_id
         LEFT JOIN organisation_members AS um
           ON um.organisation_id = p.organisation_id AND um.user_id = p.user_id
         LEFT JOIN organisation_members AS cm
           ON cm.organisation_id = p.organisation_id AND cm.user_id = p.invited_by
         LEFT JOIN users AS c ON c.id = cm.user_id
        ORDER BY p.created_at DESC, p.id DESC`,
      page.values,
    );

    const values: unknown[] = [];
    const param = (value: unknown) => `$${values.push(value)}`;
    const where = listConditions(organisationId, filter, param).join(' AND ');
    const cursor = filter.cursor ? decodeCursor(filter.cursor) : undefined;
    const afterCursor = cursor
      ? `(created_at, id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::uuid)`
      : 'false';
    // Without search the total is the triggers' kept count (a few rows), and only what lies after
    // the cursor is counted from invitations (the last pages are the cheap ones); with search, the
    // search has narrowed what is counted. One statement, so both read the same snapshot. $1 and
    // $2 are listConditions' organisation and statuses.
    const [counts] = await rowsOf<{ total: number; after: number }>(
      db,
      filter.search
        ? `SELECT count(*)::int AS total, count(*) FILTER (WHERE ${afterCursor})::int AS after
             FROM invitations WHERE ${where}`
        : `SELECT (SELECT coalesce(sum(n), 0)::int FROM invitation_counts
                    WHERE organisation_id = $1 AND status = ANY($2::text[])) AS total,
                  ${cursor ? `(SELECT count(*)::int FROM invitations WHERE ${where} AND ${afterCursor})` : '0'} AS after`,
      values,
    );
    return {
      ...page.page(rows),
      total: counts.total,
      before: cursor ? counts.total - counts.after : (filter.offset ?? 0),
    };
  }
}
