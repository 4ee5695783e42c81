/**
 * `"status" IN ('pending', 'accepted')` for a CHECK constraint over a column's allowed values,
 * from the same constant the entity's type is made of. The values are the code's own literals.
 */
export function oneOf(column: string, values: readonly string[]): string {
  return `"${column}" IN (${values.map((value) => `'${value}'`).join(', ')})`;
}
