/**
 * How a person is named to others: `Ada Lovelace (ada@example.com)` when their name is known, their
 * address otherwise. The address stays beside a name: a name is whatever someone typed, the address
 * is what the recipient can check.
 */
export function personLabel(email: string, name: string | null): string {
  return name ? `${name} (${email})` : email;
}
