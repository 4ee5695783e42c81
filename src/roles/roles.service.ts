import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QueryFailedError, type DataSource } from 'typeorm';
import { RolesRepository } from './roles.repository.js';

/** Why a role could not be created; the CLI shows the message as is. */
export class RoleRefusedError extends Error {}

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Creates roles. Until GoRules' Roles operations exist here, the CLI (`role create`) is the only
 * caller: updateUser assigns the roles it made.
 */
@Injectable()
export class RolesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly roles: RolesRepository,
  ) {}

  /** The new role's id; refused when the organisation is unknown or has a role of that name. */
  async create(organisationId: string, name: string, description: string | null): Promise<string> {
    const id = await this.roles
      .insert(this.dataSource.manager, { organisationId, name, description })
      .catch((error: unknown) => {
        const code =
          error instanceof QueryFailedError
            ? (error.driverError as { code?: string }).code
            : undefined;
        if (code === FOREIGN_KEY_VIOLATION) {
          throw new RoleRefusedError(`no organisation has the id ${organisationId}`);
        }
        throw error;
      });
    if (!id) {
      throw new RoleRefusedError(
        `organisation ${organisationId} has a role named "${name}" already`,
      );
    }
    return id;
  }
}
