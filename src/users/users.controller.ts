import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, InternalAuth } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { ApiProblemResponses } from '../errors/problem-details.dto.js';
import { CreateServiceAccountDto } from './dto/create-service-account.dto.js';
import { ListUsersQueryDto, UserListDto } from './dto/list-users.dto.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { ServiceAccountUserDto, toUserDto, UpdatedUserDto, type UserDto } from './dto/user.dto.js';
import { UsersService } from './users.service.js';
import { uuidParam } from '../common/uuid-param.js';

/** GoRules' `User` operations on members: list, update, create a service account. */
@Controller('api/users')
@ApiTags('User')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @InternalAuth('users:read', { personalAccessToken: true })
  @ApiOperation({
    operationId: 'listUsers',
    summary: 'List users',
    description:
      'Retrieves a paginated list of users in the organisation with optional filtering by service account type and search term.',
  })
  @ApiOkResponse({ type: UserListDto, description: 'Paginated list of users' })
  @ApiProblemResponses(400)
  async listUsers(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListUsersQueryDto,
  ): Promise<UserListDto> {
    const page = await this.users.list(principal.organisationId, query);
    return { results: page.rows.map(toUserDto), paginate: page.paginate };
  }

  @Post('service')
  @HttpCode(200)
  @InternalAuth('users:manage')
  @ApiOperation({
    operationId: 'createServiceAccount',
    summary: 'Create service account',
    description: 'Creates a new service account user with the specified email and user type.',
  })
  @ApiBody({ type: CreateServiceAccountDto, required: true })
  @ApiOkResponse({ type: ServiceAccountUserDto, description: 'The created service account user' })
  @ApiProblemResponses(400, 409, 413, 415)
  async createServiceAccount(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateServiceAccountDto,
  ): Promise<UserDto> {
    return toUserDto(await this.users.createServiceAccount(principal, body));
  }

  @Put(':userId')
  @InternalAuth('users:manage')
  @ApiOperation({
    operationId: 'updateUser',
    summary: 'Update a user',
    description: 'Updates user properties including name, status, type, and assigned roles.',
  })
  @ApiParam({
    name: 'userId',
    type: 'string',
    format: 'uuid',
    description: 'Unique identifier of the user to update',
  })
  @ApiBody({ type: UpdateUserDto, required: false })
  @ApiOkResponse({ type: UpdatedUserDto, description: 'The updated user' })
  @ApiProblemResponses(400, 404, 409, 413, 415)
  async updateUser(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', uuidParam) userId: string,
    @Body() body: UpdateUserDto,
  ): Promise<UserDto> {
    return toUserDto(await this.users.update(principal, userId.toLowerCase(), body));
  }
}
