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
} from './personal-access-token.operations.js';
import { PersonalAccessTokensService } from './personal-access-tokens.service.js';
import { uuidParam } from '../common/uuid-param.js';

/**
 * The caller's own tokens. Reading takes a personal access token too (GoRules' security);
 * creating, regenerating and deleting take only the internal token, so a leaked personal access
 * token cannot mint or renew itself.
 */
@Controller('api/personal-access-tokens')
@ApiTags('Personal access token')
export class PersonalAccessTokensController {
  constructor(private readonly tokens: PersonalAccessTokensService) {}

  @Get()
  @InternalAuth('personal-access-tokens:own', { personalAccessToken: true })
  @ListTokensOperation('listPersonalAccessTokens', 'own')
  async listPersonalAccessTokens(
    @CurrentPrincipal() principal: Principal,
  ): Promise<PersonalAccessTokenItemDto[]> {
    return (await this.tokens.list(principal)).map(toPersonalAccessTokenDto);
  }

  @Post()
  @InternalAuth('personal-access-tokens:own')
  @CreateTokenOperation('createPersonalAccessToken', 'own')
  async createPersonalAccessToken(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreatePersonalAccessTokenDto,
  ): Promise<CreatedPersonalAccessTokenDto> {
    const { row, token } = await this.tokens.create(principal.userId, principal, body);
    return toPersonalAccessTokenWithValueDto(row, token);
  }

  @Get(':patId')
  @InternalAuth('personal-access-tokens:own', { personalAccessToken: true })
  @GetTokenOperation('getPersonalAccessToken', 'own')
  async getPersonalAccessToken(
    @CurrentPrincipal() principal: Principal,
    @Param('patId', uuidParam) patId: string,
  ): Promise<PersonalAccessTokenItemDto> {
    return toPersonalAccessTokenDto(await this.tokens.get(principal, patId));
  }

  @Delete(':patId')
  @InternalAuth('personal-access-tokens:own')
  @DeleteTokenOperation('deletePersonalAccessToken', 'own')
  async deletePersonalAccessToken(
    @CurrentPrincipal() principal: Principal,
    @Param('patId', uuidParam) patId: string,
  ): Promise<PersonalAccessTokenItemDto> {
    return toPersonalAccessTokenDto(await this.tokens.delete(principal.userId, principal, patId));
  }

  @Post(':patId/regenerate')
  @InternalAuth('personal-access-tokens:own')
  @RegenerateTokenOperation('regeneratePersonalAccessToken', 'own')
  async regeneratePersonalAccessToken(
    @CurrentPrincipal() principal: Principal,
    @Param('patId', uuidParam) patId: string,
    @Body() body: RegeneratePersonalAccessTokenDto,
  ): Promise<CreatedPersonalAccessTokenDto> {
    const { row, token } = await this.tokens.regenerate(
      principal.userId,
      principal,
      patId,
      body.expiry,
    );
    return toPersonalAccessTokenWithValueDto(row, token);
  }
}
