import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rowsOf } from '../database/statements.js';
import type { Role } from './role.entity.js';

/** Every statement on `roles`. */
@Injectable()
export class RolesRepository {
  /** A new role; undefined when the organisation has a role of that name already, in any case. */
  async insert(
    db: EntityManager,
    role: Pick<Role, 'organisationId' | 'name' | 'description'>,
  ): Promise<string | undefined> {
    const [row] = await rowsOf<Pick<Role, 'id'>>(
      db,
      `INSERT INTO roles (organisation_id, name, description) VALUES ($1, $2, $3)
       ON CONFLICT (organisation_id, lower(name)) DO NOTHING RETURNING id`,
      [role.organisationId, role.name, role.description],
    );
    return row?.id;
  }

  /** Those of `ids` that are roles of the organisation, locked against removal until commit. */
  async idsIn(db: EntityManager, organisationId: string, ids: string[]): Promise<string[]> {
    const rows = await rowsOf<Pick<Role, 'id'>>(
      db,
      `SELECT id FROM roles WHERE organisation_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR SHARE`,
      [organisationId, ids],
    );
    return rows.map((row) => row.id);
  }
}
