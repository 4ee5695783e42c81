import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  MEMBER_STATUSES,
  MEMBER_TYPES,
  type MemberStatus,
  type MemberType,
} from '../../organisations/organisation-member.entity.js';
import type { UserRow } from '../user-list.repository.js';

/** A role the user holds (GoRules declares no descriptions and nothing required here). */
export class UserRoleDto {
  @ApiPropertyOptional({ type: 'string', format: 'uuid' })
  id!: string;

  @ApiPropertyOptional({ type: 'string' })
  name!: string;

  /** Left out when the role has none (GoRules' schema does not allow null). */
  @ApiPropertyOptional({ type: 'string' })
  description?: string;
}

/**
 * GoRules' User: the person (address, names, whether a service account) and their membership of
 * the caller's organisation (type, status, roles, createdAt: when they joined, updatedAt).
 */
export class UserDto {
  @ApiProperty({ type: 'string', format: 'uuid', description: 'Unique identifier of the user' })
  id!: string;

  @ApiProperty({ type: 'string', format: 'email', description: 'Email address of the user' })
  email!: string;

  @ApiProperty({
    type: 'string',
    enum: MEMBER_TYPES,
    description: 'User type/role within the organisation',
  })
  type!: MemberType;

  @ApiProperty({
    type: 'string',
    enum: MEMBER_STATUSES,
    description: 'Current status of the user account',
  })
  status!: MemberStatus;

  @ApiProperty({ type: 'string', description: 'Timestamp when the user was created' })
  createdAt!: string;

  @ApiProperty({ type: 'string', description: 'Timestamp when the user was last updated' })
  updatedAt!: string;

  @ApiPropertyOptional({ type: 'string', nullable: true, description: 'First name of the user' })
  firstName!: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, description: 'Last name of the user' })
  lastName!: string | null;

  @ApiPropertyOptional({ type: 'boolean', description: 'Whether this is a service account' })
  isService!: boolean;

  @ApiPropertyOptional({ type: () => [UserRoleDto], description: 'Roles assigned to the user' })
  roles!: UserRoleDto[];
}

@ApiSchema({ description: 'The updated user' })
export class UpdatedUserDto extends UserDto {}

@ApiSchema({ description: 'The created service account user' })
export class ServiceAccountUserDto extends UserDto {}

export function toUserDto(row: UserRow): UserDto {
  return {
    id: row.id,
    email: row.email,
    type: row.type,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    firstName: row.firstName,
    lastName: row.lastName,
    isService: row.isService,
    roles: row.roles,
  };
}
