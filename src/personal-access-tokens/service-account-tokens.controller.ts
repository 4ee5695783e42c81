import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, InternalAuth } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import {
  CreatePersonalAccessTokenDto,
  RegeneratePersonalAccessTokenDto,
} from './dto/create-personal-access-token.dto.js';
import {
  toPersonalAccessTokenDto,
  toPersonalAccessTokenWithValueDto,
  type CreatedPersonalAccessTokenDto,
  type PersonalAccessTokenItemDto,
} from './dto/personal-access-token.dto.js';
import {
  CreateTokenOperation,
  DeleteTokenOperation,
  GetTokenOperation,
  ListTokensOperation,
  RegenerateTokenOperation,
  ServiceUserIdParam,
} from './personal-access-token.operations.js';
import { PersonalAccessTokensService } from './personal-access-tokens.service.js';
import { uuidParam } from '../common/uuid-param.js';

/**
 * A service account's tokens, for owners and admins of its organisation: the same five operations
 * as the caller's own, on behalf of the account. A `userId` that is not a service account of the
 * caller's organisation is 404.
 */
@Controller('api/users/service/:userId/personal-access-tokens')
@ApiTags('Personal access token')
export class ServiceAccountTokensController {
  constructor(private readonly tokens: PersonalAccessTokensService) {}

  @Get()
  @InternalAuth('service-accounts:manage', { personalAccessToken: true })
  @ListTokensOperation('listServiceAccountTokens', 'serviceAccount')
  @ServiceUserIdParam('list')
  async listServiceAccountTokens(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', uuidParam) userId: string,
  ): Promise<PersonalAccessTokenItemDto[]> {
    const owner = await this.tokens.serviceAccount(principal.organisationId, userId);
    return (await this.tokens.list(owner)).map(toPersonalAccessTokenDto);
  }

  @Post()
  @InternalAuth('service-accounts:manage')
  @CreateTokenOperation('createServiceAccountToken', 'serviceAccount')
  @ServiceUserIdParam('create')
  async createServiceAccountToken(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', uuidParam) userId: string,
    @Body() body: CreatePersonalAccessTokenDto,
  ): Promise<CreatedPersonalAccessTokenDto> {
    const owner = await this.tokens.serviceAccount(principal.organisationId, userId);
    const { row, token } = await this.tokens.create(principal.userId, owner, body);
    return toPersonalAccessTokenWithValueDto(row, token);
  }

  @Get(':patId')
  @InternalAuth('service-accounts:manage', { personalAccessToken: true })
  @GetTokenOperation('getServiceAccountToken', 'serviceAccount')
  @ServiceUserIdParam('get')
  async getServiceAccountToken(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', uuidParam) userId: string,
    @Param('patId', uuidParam) patId: string,
  ): Promise<PersonalAccessTokenItemDto> {
    const owner = await this.tokens.serviceAccount(principal.organisationId, userId);
    return toPersonalAccessTokenDto(await this.tokens.get(owner, patId));
  }

  @Delete(':patId')
  @InternalAuth('service-accounts:manage')
  @DeleteTokenOperation('deleteServiceAccountToken', 'serviceAccount')
  @ServiceUserIdParam('delete')
  async deleteServiceAccountToken(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', uuidParam) userId: string,
    @Param('patId', uuidParam) patId: string,
  ): Promise<PersonalAccessTokenItemDto> {
    const owner = await this.tokens.serviceAccount(principal.organisationId, userId);
    return toPersonalAccessTokenDto(await this.tokens.delete(principal.userId, owner, patId));
  }

  @Post(':patId/regenerate')
  @InternalAuth('service-accounts:manage')
  @RegenerateTokenOperation('regenerateServiceAccountToken', 'serviceAccount')
  @ServiceUserIdParam('regenerate')
  async regenerateServiceAccountToken(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', uuidParam) userId: string,
    @Param('patId', uuidParam) patId: string,
    @Body() body: RegeneratePersonalAccessTokenDto,
  ): Promise<CreatedPersonalAccessTokenDto> {
    const owner = await this.tokens.serviceAccount(principal.organisationId, userId);
    const { row, token } = await this.tokens.regenerate(
      principal.userId,
      owner,
      patId,
      body.expiry,
    );
    return toPersonalAccessTokenWithValueDto(row, token);
  }
}
