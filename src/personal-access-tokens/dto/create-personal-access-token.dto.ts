import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  isUUID,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { withElementProblem } from '../../errors/validation.js';
import { PAT_PERMISSIONS, type PatPermission } from '../personal-access-token.entity.js';
import { PAT_EXPIRIES, type PatExpiry } from '../personal-access-token-expiry.js';

const EXPIRY_DESCRIPTION = '(week, month, three_months, year, or indefinite)';

/**
 * Body of createPersonalAccessToken and createServiceAccountToken, as GoRules declares it.
 * `projects` are checked only as UUIDs: this service has no projects to look them up in (see
 * docs/personal-access-tokens.md); the body limit (16 KiB) bounds both arrays.
 */
export class CreatePersonalAccessTokenDto {
  @ApiProperty({
    type: 'string',
    minLength: 1,
    maxLength: 100,
    description: 'A descriptive note for the token (1-100 characters)',
    example: 'Token used to generate releases',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  // A note is one line of text; PostgreSQL text cannot hold NUL at all.
  // eslint-disable-next-line no-control-regex
  @Matches(/^[^\u0000-\u001f\u007f]*$/, { message: 'note must not contain control characters' })
  note!: string;

  @ApiProperty({ type: 'boolean', description: 'Indicates if token can be used for all projects.' })
  @IsBoolean()
  allProjects!: boolean;

  @ApiProperty({
    type: 'string',
    enum: PAT_EXPIRIES,
    description: `Token expiration period ${EXPIRY_DESCRIPTION}`,
  })
  @IsIn(PAT_EXPIRIES)
  expiry!: PatExpiry;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', format: 'uuid' },
    description: 'List of projects where token can be used. Applicable if allProjects is false.',
  })
  @IsOptional()
  @IsArray()
  @IsUUID(
    'all',
    withElementProblem({ each: true }, (id) => (isUUID(id) ? undefined : 'must be a UUID')),
  )
  projects?: string[];

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', enum: [...PAT_PERMISSIONS] },
    description: 'List of permissions to grant to the token',
  })
  @IsOptional()
  @IsArray()
  @IsIn(
    PAT_PERMISSIONS,
    withElementProblem({ each: true }, (permission) =>
      (PAT_PERMISSIONS as readonly unknown[]).includes(permission)
        ? undefined
        : `must be one of ${PAT_PERMISSIONS.join(', ')}`,
    ),
  )
  permissions?: PatPermission[];
}

/** Body of regeneratePersonalAccessToken and regenerateServiceAccountToken. */
export class RegeneratePersonalAccessTokenDto {
  @ApiProperty({
    type: 'string',
    enum: PAT_EXPIRIES,
    description: `New token expiration period ${EXPIRY_DESCRIPTION}`,
  })
  @IsIn(PAT_EXPIRIES)
  expiry!: PatExpiry;
}
