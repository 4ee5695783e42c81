import {
  Injectable,
  ValidationPipe,
  type ArgumentMetadata,
  type ValidationError,
} from '@nestjs/common';
import type { ValidationOptions } from 'class-validator';
import { isWellFormedText } from '../common/well-formed.js';
import { PROBLEM_TYPES, ProblemException, type FieldError } from './problem.js';

/** Why one element is refused, or undefined when it is fine. */
export type ElementProblem = (value: unknown) => string | undefined;

const ELEMENT_PROBLEM = 'elementProblem';

/**
 * A constraint's options, with what makes its `{ each: true }` errors name the index
 * (`emails[3]`). class-validator reports a failed `each` constraint once for the whole array;
 * `problem` travels with the constraint (in its context, which class-validator hands back on the
 * error when the constraint's message is not empty), and the pipe runs it on every element to say
 * which ones failed and why.
 */
export function withElementProblem(
  options: ValidationOptions | undefined,
  problem: ElementProblem,
): ValidationOptions {
  // class-validator types a context as any; it is an object of our choosing.
  const context = options?.context as Record<string, unknown> | undefined;
  return { ...options, context: { ...context, [ELEMENT_PROBLEM]: problem } };
}

function elementProblemOf(error: ValidationError, constraint: string): ElementProblem | undefined {
  const context = error.contexts?.[constraint] as Record<string, unknown> | undefined;
  const problem = context?.[ELEMENT_PROBLEM];
  return typeof problem === 'function' ? (problem as ElementProblem) : undefined;
}

function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own: FieldError[] = [];
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      const check = elementProblemOf(error, constraint);
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

/** Where `value` holds a string with a lone UTF-16 surrogate (`emails[1]`, `search`). */
export function malformedTextPaths(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return isWellFormedText(value) ? [] : [path];
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => malformedTextPaths(item, `${path}[${index}]`));
  }
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const keyPath = path
      ? `${path}.${JSON.stringify(key).slice(1, -1)}`
      : JSON.stringify(key).slice(1, -1);
    return isWellFormedText(key) ? malformedTextPaths(item, keyPath) : [keyPath];
  });
}

export function validationProblem(errors: FieldError[]): ProblemException {
  return new ProblemException(400, {
    type: PROBLEM_TYPES.validation,
    title: 'Invalid request',
    // The body as a whole has no path: its message stands alone.
    detail: errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; '),
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

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A custom decorator's value (the principal, the request id) is the server's own, not input.
    if (metadata.type === 'custom') return super.transform(value, metadata);
    if (metadata.type === 'body') {
      if (value === undefined) value = {};
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw validationProblem([{ path: '', message: 'the request body must be a JSON object' }]);
      }
    }
    // Lone surrogates are not text: refused here, once for every body, query and path parameter,
    // before any check (validator.js calls encodeURI, which throws on them) sees them.
    const malformed = malformedTextPaths(
      value,
      metadata.type === 'param' ? (metadata.data ?? '') : '',
    );
    if (malformed.length > 0) {
      throw validationProblem(
        malformed.map((path) => ({ path, message: 'must be well-formed Unicode text' })),
      );
    }
    return super.transform(value, metadata);
  }
}
