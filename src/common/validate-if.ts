/**
 * `validateIf` conditions for class-validator, so each check of a property runs only where the one
 * before it passed: a missing value is reported as missing, not also as too short or wrong.
 */
export const isPresent = (_: object, value: unknown): boolean =>
  value !== undefined && value !== null;
export const isList = (_: object, value: unknown): boolean => Array.isArray(value);
export const isText = (_: object, value: unknown): boolean => typeof value === 'string';
