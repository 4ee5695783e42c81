import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rowsOf } from '../database/statements.js';

/** Every statement on `member_roles`. */
@Injectable()
export class MemberRolesRepository {
  /** The ids of the roles the member holds, in id order. */
  async roleIdsOf(db: EntityManager, organisationId: string, userId: string): Promise<string[]> {
    const rows = await rowsOf<{ roleId: string }>(
      db,
      `SELECT role_id AS "roleId" FROM member_roles
        WHERE organisation_id = $1 AND user_id = $2 ORDER BY role_id`,
      [organisationId, userId],
    );
    return rows.map((row) => row.roleId);
  }

  /** The member holds exactly `roleIds` (roles of the organisation: the foreign key insists). */
  async replace(
    db: EntityManager,
    organisationId: string,
    userId: string,
    roleIds: string[],
  ): Promise<void> {
    await rowsOf(
      db,
      `DELETE FROM member_roles
        WHERE organisation_id = $1 AND user_id = $2 AND NOT role_id = ANY($3::uuid[])`,
      [organisationId, userId, roleIds],
    );
    await rowsOf(
      db,
      `INSERT INTO member_roles (organisation_id, user_id, role_id)
       SELECT $1, $2, r FROM unnest($3::uuid[]) AS r ON CONFLICT DO NOTHING`,
      [organisationId, userId, roleIds],
    );
  }
}
