import { applyDecorators, HttpCode } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../errors/problem-details.dto.js';
import {
  CreatePersonalAccessTokenDto,
  RegeneratePersonalAccessTokenDto,
} from './dto/create-personal-access-token.dto.js';
import {
  CreatedPersonalAccessTokenDto,
  DeletedPersonalAccessTokenDto,
  PersonalAccessTokenDto,
  PersonalAccessTokenItemDto,
  RegeneratedPersonalAccessTokenDto,
} from './dto/personal-access-token.dto.js';

/**
 * GoRules' words for the five token operations, shared by the caller's own routes and a service
 * account's: the two sets differ only in their operationId and the `userId` parameter.
 */
const STOPS_PIPELINES = 'Note that any pipelines that depend on the token will stop functioning.';

/** Whose tokens: the caller's own, or (owners and admins) a service account's under its userId. */
export type TokenScope = 'own' | 'serviceAccount';

const notFound = (scope: TokenScope) =>
  scope === 'own' ? ('tokenNotFound' as const) : ('serviceAccountNotFound' as const);

export const PatIdParam = (description: string) =>
  ApiParam({ name: 'patId', schema: { type: 'string', format: 'uuid' }, description });

/** GoRules declares the service account's id nullable, although it is a path parameter. */
export const ServiceUserIdParam = (verb: string) =>
  ApiParam({
    name: 'userId',
    schema: { type: 'string', format: 'uuid', nullable: true },
    description: `Service user ID to ${verb} token for (admin only)`,
  });

export const ListTokensOperation = (operationId: string, scope: TokenScope) =>
  applyDecorators(
    ApiOperation({
      operationId,
      summary: 'List tokens',
      description:
        'Retrieve all personal access tokens for the authenticated user or a specified service user.',
    }),
    // The reference puts the description on the array schema too; `type: [Dto]` would not.
    ApiExtraModels(PersonalAccessTokenItemDto),
    ApiOkResponse({
      description: 'List of personal access tokens',
      schema: {
        type: 'array',
        description: 'List of personal access tokens',
        items: { $ref: getSchemaPath(PersonalAccessTokenItemDto) },
      },
    }),
    ...(scope === 'serviceAccount' ? [ApiProblemResponses(400, notFound(scope))] : []),
  );

export const CreateTokenOperation = (operationId: string, scope: TokenScope) =>
  applyDecorators(
    HttpCode(200),
    ApiOperation({
      operationId,
      summary: 'Create token',
      description:
        'Create a new personal access token with specified permissions and project access.',
    }),
    ApiBody({ type: CreatePersonalAccessTokenDto, required: true }),
    ApiOkResponse({
      type: CreatedPersonalAccessTokenDto,
      description: 'Created personal access token with the generated token value',
    }),
    ApiProblemResponses(400, 413, 415),
    ...(scope === 'serviceAccount' ? [ApiProblemResponses(notFound(scope))] : []),
  );

export const GetTokenOperation = (operationId: string, scope: TokenScope) =>
  applyDecorators(
    ApiOperation({
      operationId,
      summary: 'Get token',
      description: 'Retrieve a single personal access token by ID.',
    }),
    PatIdParam('Personal access token ID'),
    ApiOkResponse({ type: PersonalAccessTokenDto, description: 'Personal access token details' }),
    ApiProblemResponses(400, notFound(scope)),
  );

export const DeleteTokenOperation = (operationId: string, scope: TokenScope) =>
  applyDecorators(
    ApiOperation({ operationId, summary: 'Delete token', description: STOPS_PIPELINES }),
    PatIdParam('Personal access token ID to delete'),
    ApiOkResponse({
      type: DeletedPersonalAccessTokenDto,
      description: 'Deleted personal access token details',
    }),
    ApiProblemResponses(400, notFound(scope)),
  );

export const RegenerateTokenOperation = (operationId: string, scope: TokenScope) =>
  applyDecorators(
    HttpCode(200),
    ApiOperation({ operationId, summary: 'Regenerate token', description: STOPS_PIPELINES }),
    PatIdParam('Personal access token ID to regenerate'),
    ApiBody({ type: RegeneratePersonalAccessTokenDto, required: true }),
    ApiOkResponse({
      type: RegeneratedPersonalAccessTokenDto,
      description: 'Regenerated personal access token with the new token value',
    }),
    ApiProblemResponses(400, notFound(scope), 413, 415),
  );
