import { ApiProperty, ApiPropertyOptional, ApiSchema, PickType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ListInvitationsQueryDto, PaginateDto } from '../../invitations/dto/invitation-list.dto.js';
import { UserDto } from './user.dto.js';

/**
 * Query of `GET /api/users` (listUsers) as GoRules declares it. `page` and `perPage` are
 * listInvitations' own (defaults 1 and 10, `perPage` capped at 100, declared).
 */
export class ListUsersQueryDto extends PickType(ListInvitationsQueryDto, [
  'page',
  'perPage',
] as const) {
  // GoRules types it a string; only its two values mean anything, anything else is a 400.
  @ApiPropertyOptional({
    type: 'string',
    enum: ['true', 'false'],
    description: 'Filter by service account status (true/false)',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  isService?: 'true' | 'false';

  @ApiPropertyOptional({
    type: 'string',
    maxLength: 254,
    description: 'Search term to filter users by email, first name, or last name',
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  // Control characters are in no address or name, and the search index joins the fields with one.
  // eslint-disable-next-line no-control-regex
  @Matches(/^[^\u0000-\u001f\u007f]*$/, { message: 'search must not contain control characters' })
  search?: string;
}

@ApiSchema({ description: 'Paginated list of users' })
export class UserListDto {
  @ApiProperty({ type: () => [UserDto], description: 'List of users' })
  results!: UserDto[];

  @ApiProperty({ type: () => PaginateDto })
  paginate!: PaginateDto;
}
