import { applyDecorators } from '@nestjs/common';
import { Expose, Transform } from 'class-transformer';
import { isInt, isURL, ValidateBy, type ValidationArguments } from 'class-validator';
import ms, { type StringValue } from 'ms';
import { durationMs } from '../common/duration.js';

/** What a parser returns for a text it cannot take; `expected` replaces the usual description. */
export class Refused {
  constructor(readonly expected?: string) {}
}

/** A refused text, kept on the parsed environment until validation reports it. */
class Invalid {
  constructor(
    readonly got: string,
    readonly expected: string,
  ) {}
}

export interface VariableOptions {
  /** The value holds a password or a key: an error never repeats it. */
  secret?: boolean;
}

/**
 * One environment variable: `parse` turns its text into the typed value or refuses it, and
 * validation then reports `NAME must <expected> (got "<text>")`. Unset or empty, the property
 * keeps its initializer: that is the default.
 */
export function Variable<T>(
  expected: string,
  parse: (text: string) => T | Refused,
  { secret = false }: VariableOptions = {},
): PropertyDecorator {
  return applyDecorators(
    Expose(),
    Transform(({ value }: { value: string }) => {
      const parsed = parse(value);
      return parsed instanceof Refused ? new Invalid(value, parsed.expected ?? expected) : parsed;
    }),
    ValidateBy({
      name: 'variable',
      validator: {
        validate: (value) => !(value instanceof Invalid),
        defaultMessage: ({ property, value }: ValidationArguments) => {
          const { got, expected } = value as Invalid;
          return `${property} must ${expected}${secret ? '' : ` (got ${JSON.stringify(got)})`}`;
        },
      },
    }),
  );
}

/** Any text; a secret can be held to a length. */
export function Text({ minBytes = 0, secret }: VariableOptions & { minBytes?: number } = {}) {
  return Variable(
    `be at least ${minBytes} bytes`,
    (text) => (Buffer.byteLength(text) >= minBytes ? text : new Refused()),
    { secret },
  );
}

export function Integer(min: number, max: number) {
  return Variable(`be an integer number from ${min} to ${max}`, (text) => {
    const value = text.trim() === '' ? NaN : Number(text);
    return isInt(value) && value >= min && value <= max ? value : new Refused();
  });
}

const FLAGS = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
]);

export function Flag() {
  return Variable('be true or false', (text) => FLAGS.get(text) ?? new Refused());
}

export function OneOf<T extends string>(values: readonly T[]) {
  return Variable(`be one of ${values.join(', ')}`, (text) =>
    values.includes(text as T) ? text : new Refused(),
  );
}

export function Url(protocols: string[], options?: VariableOptions) {
  const schemes = protocols.map((protocol) => `${protocol}://`).join(' or ');
  return Variable(
    `be a URL starting with ${schemes}`,
    (text) =>
      isURL(text, { require_tld: false, protocols, require_protocol: true }) ? text : new Refused(),
    options,
  );
}

export interface DurationOptions {
  min?: StringValue;
  max?: StringValue;
  /** `never` is accepted and parsed as null. */
  orNever?: boolean;
  wholeSeconds?: boolean;
}

/** `500ms`, `60s`, `1h`, `7d` or whole seconds (`durationMs`), parsed as milliseconds. */
export function Duration({
  min,
  max,
  orNever = false,
  wholeSeconds = false,
}: DurationOptions = {}) {
  const [low, high] = [min ? ms(min) : 0, max ? ms(max) : Infinity];
  const limits = [
    min && max ? `from ${min} to ${max}` : min ? `at least ${min}` : max && `at most ${max}`,
    wholeSeconds && 'in whole seconds, as the queue counts seconds',
    orNever && 'or never',
  ].filter(Boolean);
  return Variable(['be a duration such as 60s, 1h or 7d', ...limits].join(', '), (text) => {
    if (orNever && text === 'never') return null;
    const value = durationMs(text);
    const fits = value !== undefined && value >= low && value <= high;
    return fits && (!wholeSeconds || value % 1000 === 0) ? value : new Refused();
  });
}

/** Production has no embedded database, no file mail and no generated secret to fall back on. */
export function RequiredInProduction(why: string, unlessSet?: string): PropertyDecorator {
  return ValidateBy({
    name: 'requiredInProduction',
    validator: {
      validate: (value, args) => {
        const env = args?.object as Record<string, unknown>;
        const alternative = unlessSet !== undefined && env[unlessSet] !== undefined;
        return env.NODE_ENV !== 'production' || value !== undefined || alternative;
      },
      defaultMessage: ({ property }: ValidationArguments) =>
        `${property} is required when NODE_ENV=production (${why})`,
    },
  });
}

/** A duration that must stay below another one; skipped while either is itself invalid. */
export function ShorterThan(other: string, why: string): PropertyDecorator {
  const limitOf = (args?: ValidationArguments) => (args?.object as Record<string, unknown>)[other];
  return ValidateBy({
    name: 'shorterThan',
    validator: {
      validate: (value, args) => {
        const limit = limitOf(args);
        return typeof value !== 'number' || typeof limit !== 'number' || value < limit;
      },
      defaultMessage: (args: ValidationArguments) =>
        `${args.property} must be shorter than ${other}, ${why} ` +
        `(got ${ms(args.value as number)} and ${ms(limitOf(args) as number)})`,
    },
  });
}
