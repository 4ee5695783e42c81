// With the u flag a surrogate pair is one code point, so this matches only unpaired halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * `String.prototype.isWellFormed`, which the TypeScript lib this project targets does not declare:
 * false when the string holds a lone UTF-16 surrogate, which is not text (encodeURI throws on it).
 */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}
