import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { PAT_PERMISSIONS, type PatPermission } from '../personal-access-token.entity.js';
import type { PersonalAccessTokenRow } from '../personal-access-tokens.repository.js';

/**
 * A project a token names, in GoRules' shape. This service has no projects: only `id` is known,
 * so only `id` is sent (GoRules declares none of the members required).
 */
export class PatProjectDto {
  @ApiPropertyOptional({ type: 'string', format: 'uuid' })
  id!: string;

  @ApiPropertyOptional({ type: 'string' })
  name?: string;

  @ApiPropertyOptional({ type: 'string', format: 'uuid' })
  organisationId?: string;

  @ApiPropertyOptional({ type: 'string' })
  version?: string;

  @ApiPropertyOptional({ type: 'string' })
  createdAt?: string;

  @ApiPropertyOptional({ type: 'string' })
  updatedAt?: string;

  @ApiPropertyOptional({ type: 'string' })
  key?: string;

  @ApiPropertyOptional({ type: 'boolean' })
  protected?: boolean;
}

/** The owner as a token names it: the user, with `type` and `status` of their membership. */
export interface PatUserDto {
  id: string;
  email: string;
  type: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  firstName: string | null;
  lastName: string | null;
  isService: boolean;
}

/**
 * Inline rather than a component: GoRules describes the property, and a description beside a
 * `$ref` is ignored in OpenAPI 3.0.
 */
const PAT_USER_SCHEMA = {
  type: 'object',
  description: 'User who owns the token',
  properties: {
    id: { type: 'string', format: 'uuid' },
    email: { type: 'string', format: 'email' },
    type: { type: 'string' },
    status: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    firstName: { type: 'string', nullable: true },
    lastName: { type: 'string', nullable: true },
    isService: { type: 'boolean' },
  },
} as const;

/** A token as listed: GoRules' fields, never the token value. */
export class PersonalAccessTokenItemDto {
  @ApiProperty({
    type: 'string',
    format: 'uuid',
    description: 'Unique identifier of the personal access token',
  })
  id!: string;

  @ApiProperty({ type: 'string', description: 'Description or note for the token' })
  note!: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'string', enum: [...PAT_PERMISSIONS] },
    description: 'List of permissions granted to this token',
  })
  permissions!: PatPermission[];

  @ApiProperty({ type: 'boolean', description: 'Whether the token has access to all projects' })
  allProjects!: boolean;

  @ApiProperty({
    type: () => [PatProjectDto],
    description: 'List of projects the token has access to',
  })
  projects!: PatProjectDto[];

  @ApiProperty(PAT_USER_SCHEMA)
  user!: PatUserDto;

  @ApiProperty({ type: 'string', description: 'Timestamp when the token was created' })
  createdAt!: string;

  @ApiProperty({ type: 'string', description: 'Timestamp when the token was last updated' })
  updatedAt!: string;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    description: 'Timestamp when the token expires, null if indefinite',
  })
  expiresAt!: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    description:
      'When the token last authenticated a request (kept to the minute), null if never used',
  })
  lastUsedAt!: string | null;
}

@ApiSchema({ description: 'Personal access token details' })
export class PersonalAccessTokenDto extends PersonalAccessTokenItemDto {}

@ApiSchema({ description: 'Deleted personal access token details' })
export class DeletedPersonalAccessTokenDto extends PersonalAccessTokenItemDto {}

const TOKEN_DESCRIPTION = 'The generated token value (only returned on create or regenerate)';

@ApiSchema({ description: 'Created personal access token with the generated token value' })
export class CreatedPersonalAccessTokenDto extends PersonalAccessTokenItemDto {
  @ApiProperty({ type: 'string', description: TOKEN_DESCRIPTION })
  token!: string;
}

@ApiSchema({ description: 'Regenerated personal access token with the new token value' })
export class RegeneratedPersonalAccessTokenDto extends PersonalAccessTokenItemDto {
  @ApiProperty({ type: 'string', description: TOKEN_DESCRIPTION })
  token!: string;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function toPersonalAccessTokenDto(row: PersonalAccessTokenRow): PersonalAccessTokenItemDto {
  return {
    id: row.id,
    note: row.note,
    permissions: row.permissions,
    allProjects: row.allProjects,
    projects: row.projects.map((id) => ({ id })),
    user: {
      id: row.userId,
      email: row.ownerEmail,
      type: row.ownerType,
      status: row.ownerStatus,
      createdAt: row.ownerCreatedAt.toISOString(),
      updatedAt: row.ownerUpdatedAt.toISOString(),
      firstName: row.ownerFirstName,
      lastName: row.ownerLastName,
      isService: row.ownerIsService,
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    expiresAt: iso(row.expiresAt),
    lastUsedAt: iso(row.lastUsedAt),
  };
}

/** The one answer that carries the token itself: create and regenerate. */
export function toPersonalAccessTokenWithValueDto(
  row: PersonalAccessTokenRow,
  token: string,
): CreatedPersonalAccessTokenDto {
  return { ...toPersonalAccessTokenDto(row), token };
}
