/** GoRules' expiry choices for a personal access token. */
export const PAT_EXPIRIES = ['week', 'month', 'three_months', 'year', 'indefinite'] as const;
export type PatExpiry = (typeof PAT_EXPIRIES)[number];

const DAY_MS = 24 * 3600 * 1000;

/** Fixed lengths in days, so a token's lifetime never depends on the month it was made in. */
const LIFETIME_DAYS: Record<Exclude<PatExpiry, 'indefinite'>, number> = {
  week: 7,
  month: 30,
  three_months: 90,
  year: 365,
};

/** When a token made (or regenerated) at `now` with `expiry` stops working; null: never. */
export function patExpiresAt(expiry: PatExpiry, now: Date): Date | null {
  return expiry === 'indefinite' ? null : new Date(now.getTime() + LIFETIME_DAYS[expiry] * DAY_MS);
}

/** Whether a token with this expiry is past it at `now`: from the instant itself on. */
export function isPatExpired(expiresAt: Date | null, now: Date): boolean {
  return expiresAt !== null && expiresAt.getTime() <= now.getTime();
}
