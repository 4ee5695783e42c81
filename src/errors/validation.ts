import {
  Injectable,
  ValidationPipe,
  type ArgumentMetadata,
  type ValidationError,
} from '@nestjs/common';
import { PROBLEM_TYPES, ProblemException, type FieldError } from './problem.js';

/**
 * Element checks of `each` constraints, by constraint name. class-validator reports a failed
 * `each` constraint once for the whole array; with these the errors name the index (`emails[3]`).
 */
const elementChecks = new Map<string, (value: unknown) => string | undefined>();

export function registerElementCheck(
  constraint: string,
  check: (value: unknown) => string | undefined,
): void {
  elementChecks.set(constraint, check);
}

function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own: FieldError[] = [];
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      const check = elementChecks.get(constraint);
      if (check && Array.isArray(error.value)) {
        error.value.forEach((item: unknown, index) => {
          const problem = check(item);
          if (problem) own.push({ path: `${path}[${index}]`, message: problem });
        });
      } else if (constraint === 'whitelistValidation') {
        own.push({ path, message: `${path} is not an allowed property` });
      } else {
        own.push({ path, message });
      }
    }
    return [...own, ...fieldErrors(error.children ?? [], path)];
  });
}

export function validationProblem(errors: FieldError[]): ProblemException {
  return new ProblemException(400, {
    type: PROBLEM_TYPES.validation,
    title: 'Invalid request',
    detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
    errors,
  });
}

/**
 * Nest's ValidationPipe with this service's rules: unknown properties are errors, values are
 * transformed to the DTO classes, and failures become one problem+json listing every field.
 */
@Injectable()
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: true },
      exceptionFactory: (errors) => validationProblem(fieldErrors(errors)),
    });
  }

  // ValidationPipe declares a promise; Nest's PipesConsumer awaits whatever a pipe returns.
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (!metadata.metatype || !this.toValidate(metadata)) {
      // What ValidationPipe answers for a value it does not validate (custom parameter decorators
      // such as @CurrentPrincipal, primitives), without going through its async path: on Node.js
      // 20, with the logging context's promise hooks on, each promise of it costs about as much as
      // the answer itself, for two or three parameters of every request.
      return this.transformPrimitive(value, metadata) as Promise<unknown>;
    }
    return this.validated(value, metadata);
  }

  private async validated(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      if (value === undefined) value = {};
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw validationProblem([{ path: '', message: 'the request body must be a JSON object' }]);
      }
    }
    return super.transform(value, metadata);
  }
}
