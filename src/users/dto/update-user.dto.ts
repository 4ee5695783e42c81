import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import {
  MEMBER_STATUSES,
  MEMBER_TYPES,
  type MemberStatus,
  type MemberType,
} from '../../organisations/organisation-member.entity.js';

export const MAX_NAME_LENGTH = 100;
export const MAX_ROLES = 100;

const trimmed = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value;

/** Body of `PUT /api/users/{userId}` (updateUser): every field optional, left out = unchanged. */
export class UpdateUserDto {
  @ApiPropertyOptional({
    type: 'string',
    maxLength: MAX_NAME_LENGTH,
    description: 'Updated first name',
  })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  // eslint-disable-next-line no-control-regex -- a name holds no control characters
  @Matches(/^[^\u0000-\u001f\u007f-\u009f]*$/, { message: 'must not contain control characters' })
  firstName?: string;

  @ApiPropertyOptional({
    type: 'string',
    maxLength: MAX_NAME_LENGTH,
    description: 'Updated last name',
  })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  // eslint-disable-next-line no-control-regex -- a name holds no control characters
  @Matches(/^[^\u0000-\u001f\u007f-\u009f]*$/, { message: 'must not contain control characters' })
  lastName?: string;

  @ApiPropertyOptional({
    type: 'string',
    enum: MEMBER_STATUSES,
    description: 'Updated user status',
  })
  @IsOptional()
  @IsIn(MEMBER_STATUSES)
  status?: MemberStatus;

  @ApiPropertyOptional({ type: 'string', enum: MEMBER_TYPES, description: 'Updated user type' })
  @IsOptional()
  @IsIn(MEMBER_TYPES)
  type?: MemberType;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', format: 'uuid', description: 'Role ID' },
    maxItems: MAX_ROLES,
    description: 'List of role IDs to assign to the user',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ROLES)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  roles?: string[];
}
