import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ description: 'The field, with the index for list items', example: 'emails[3]' })
  path!: string;

  @ApiProperty({ description: 'What is wrong with it' })
  message!: string;
}

/** The single error body of the service (RFC 9457), declared once for the OpenAPI document. */
export class ProblemDetailsDto {
  @ApiProperty({ description: 'URI identifying the problem type', example: 'about:blank' })
  type!: string;

  @ApiProperty({ description: 'Short summary of the problem type' })
  title!: string;

  @ApiProperty({ description: 'HTTP status code', example: 400 })
  status!: number;

  @ApiProperty({ description: 'Explanation specific to this occurrence' })
  detail!: string;

  @ApiPropertyOptional({ description: 'The request path' })
  instance?: string;

  @ApiPropertyOptional({ description: 'Request id, also in the X-Request-Id header and the logs' })
  requestId?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Field-level validation errors' })
  errors?: FieldErrorDto[];
}

const PROBLEM_DESCRIPTIONS = {
  400: 'Invalid request: the errors array names each field (e.g. emails[3])',
  401: 'Missing, invalid or expired internal token',
  403: 'The caller may not do this in this organisation',
  404: 'Not found in this organisation',
  409: 'Conflicts with the current state',
  410: 'No longer available',
  413: 'Request body too large',
  415: 'Request body is not application/json',
  429: 'Rate limit reached; see Retry-After',
} as const;

export type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

/** Declares problem+json error responses of an operation, all with the one error body. */
export function ApiProblemResponses(
  ...statuses: ProblemStatus[]
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_DESCRIPTIONS[status],
        content: {
          'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) } },
        },
      }),
    ),
  );
}
