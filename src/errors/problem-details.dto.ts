import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
  type ApiResponseOptions,
} from '@nestjs/swagger';
import { BODY_LIMIT } from '../common/json-body.middleware.js';
import { PROBLEM_TYPES, statusTitle, type ProblemBody } from './problem.js';
import { validationProblem } from './validation.js';

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

/** The 409 of inviteUsers: the addresses that already belong to members of the organisation. */
export class AlreadyMembersProblemDto extends ProblemDetailsDto {
  @ApiProperty({
    type: 'string',
    format: 'email',
    isArray: true,
    description: 'Every requested address that is already a member of the organisation',
    example: ['ada@example.com'],
  })
  emails!: string[];
}

type ProblemExample = Omit<ProblemBody, 'instance' | 'requestId'>;

function example(status: number, type: string, detail: string, title = statusTitle(status)) {
  return { type, title, status, detail } satisfies ProblemExample;
}

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', minimum: 1, example: 5 },
  },
} as const;

/**
 * Each status as the service really answers it (the guard, the validation pipe, the body
 * middleware, the rate limiter, the filter): the examples are what a client has to handle, not a
 * generic placeholder. `instance` and `requestId` are left out; they differ per request.
 */
const PROBLEM_RESPONSES = {
  400: {
    description: 'Invalid request: the errors array names each field (e.g. emails[3])',
    examples: {
      invalidFields: validationProblemBody(),
      malformedJson: example(400, 'about:blank', 'Request body is not valid JSON'),
    },
  },
  401: {
    description: 'Missing, invalid or expired internal token',
    headers: {
      'WWW-Authenticate': {
        description: 'The scheme to authenticate with',
        schema: { type: 'string', example: 'Internal' },
      },
    },
    examples: {
      unauthorized: example(401, PROBLEM_TYPES.unauthorized, 'The token is invalid or expired'),
    },
  },
  unauthorizedOrBearer: {
    status: 401,
    description: 'Missing, invalid or expired internal token or personal access token',
    headers: {
      'WWW-Authenticate': {
        description: 'The schemes to authenticate with',
        schema: { type: 'string', example: 'Internal, Bearer' },
      },
    },
    examples: {
      unauthorized: example(
        401,
        PROBLEM_TYPES.unauthorized,
        'The personal access token is invalid, expired or revoked',
      ),
    },
  },
  403: {
    description: 'The caller may not do this in this organisation',
    examples: {
      forbidden: example(
        403,
        PROBLEM_TYPES.forbidden,
        'Your role in this organisation does not allow this action',
      ),
    },
  },
  404: {
    description: 'Not found in this organisation',
    examples: {
      noPendingInvitation: example(
        404,
        'about:blank',
        'This organisation has no pending invitation for that user',
      ),
      unknownInvitationLink: example(404, 'about:blank', 'This invitation link is not valid'),
      unknownAuditLog: example(404, 'about:blank', 'No such audit log entry'),
    },
  },
  tokenNotFound: {
    status: 404,
    description: 'The owner has no personal access token with this id',
    examples: {
      noSuchToken: example(404, 'about:blank', 'No personal access token with this id'),
    },
  },
  serviceAccountNotFound: {
    status: 404,
    description: 'Not a service account of this organisation, or it has no token with this id',
    examples: {
      noSuchServiceAccount: example(
        404,
        'about:blank',
        'No service account with this id in this organisation',
      ),
      noSuchToken: example(404, 'about:blank', 'No personal access token with this id'),
    },
  },
  409: {
    description: 'Conflicts with the current state',
    examples: {
      alreadyAccepted: example(409, 'about:blank', 'This invitation has already been accepted'),
    },
  },
  alreadyMembers: {
    status: 409,
    description:
      'Some addresses already belong to members; the problem lists them, nothing is created',
    type: AlreadyMembersProblemDto,
    examples: {
      alreadyMembers: {
        ...example(
          409,
          PROBLEM_TYPES.alreadyMembers,
          'Already members of this organisation: ada@example.com',
          'Already members',
        ),
        emails: ['ada@example.com'],
      },
    },
  },
  410: {
    description: 'No longer available',
    examples: {
      expired: example(410, 'about:blank', 'This invitation has expired; ask for a new one'),
    },
  },
  413: {
    description: 'Request body too large',
    examples: { tooLarge: example(413, 'about:blank', `Request body exceeds ${BODY_LIMIT}`) },
  },
  415: {
    description: 'Request body is not application/json',
    examples: {
      notJson: example(415, 'about:blank', 'Request body must be application/json'),
    },
  },
  429: {
    description: 'Rate limit reached; see Retry-After',
    headers: RETRY_AFTER,
    examples: {
      rateLimited: example(429, 'about:blank', 'Too many requests from this address; retry in 5 s'),
    },
  },
} satisfies Record<
  string,
  {
    status?: number;
    description: string;
    type?: typeof ProblemDetailsDto;
    headers?: ApiResponseOptions['headers'];
    examples: Record<string, ProblemExample>;
  }
>;

function validationProblemBody(): ProblemExample {
  const { problem } = validationProblem([
    { path: 'emails[1]', message: 'must be a valid email address' },
  ]);
  return { ...example(400, problem.type!, problem.detail, problem.title), errors: problem.errors };
}

/** A status, or a named problem where one status has a body of its own (409 alreadyMembers). */
export type ProblemResponse = keyof typeof PROBLEM_RESPONSES;

/** Declares problem+json error responses of an operation, each with its real examples. */
export function ApiProblemResponses(
  ...responses: ProblemResponse[]
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto, AlreadyMembersProblemDto),
    ...responses.map((name) => {
      const declared: (typeof PROBLEM_RESPONSES)[ProblemResponse] = PROBLEM_RESPONSES[name];
      const { description, examples } = declared;
      const status = 'status' in declared ? declared.status : Number(name);
      const type = 'type' in declared ? declared.type : ProblemDetailsDto;
      return ApiResponse({
        status,
        description,
        ...('headers' in declared ? { headers: declared.headers } : {}),
        content: {
          'application/problem+json': {
            schema: { $ref: getSchemaPath(type) },
            examples: Object.fromEntries(
              Object.entries(examples).map(([key, value]) => [key, { value }]),
            ),
          },
        },
      });
    }),
  );
}
