import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rowsOf } from '../database/statements.js';
import type { Organisation } from './organisation.entity.js';

// Any constant: it serializes creations (two `npm start`s on one .data/, two CLIs).
const CREATION_LOCK_KEY = 0x62726d73;

/** Every statement on `organisations`. */
@Injectable()
export class OrganisationsRepository {
  /** Until the transaction ends, no other creation runs: a name checked free stays free. */
  async lockCreation(db: EntityManager): Promise<void> {
    await rowsOf(db, 'SELECT pg_advisory_xact_lock($1)', [CREATION_LOCK_KEY]);
  }

  /** An organisation whose name equals `name` but for case: "Acme" and "acme" are one name. */
  async findByName(
    db: EntityManager,
    name: string,
  ): Promise<Pick<Organisation, 'id' | 'name'> | undefined> {
    const [row] = await rowsOf<Pick<Organisation, 'id' | 'name'>>(
      db,
      `SELECT id, name FROM organisations WHERE lower(name) = lower($1) ORDER BY created_at LIMIT 1`,
      [name],
    );
    return row;
  }

  async insert(db: EntityManager, name: string): Promise<string> {
    const [row] = await rowsOf<Pick<Organisation, 'id'>>(
      db,
      `INSERT INTO organisations (name) VALUES ($1) RETURNING id`,
      [name],
    );
    return row.id;
  }
}
