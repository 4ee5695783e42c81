import type { Invitation } from './invitation.entity.js';

/**
 * When an invitation counts as expired: stored as `expired`, or still `pending` at or past its
 * `expires_at`. Nothing sweeps pending rows when they expire, so every reader derives it, through
 * this function or, inside SQL, through `pastExpirySql`.
 */
export function isExpired(
  invitation: Pick<Invitation, 'status' | 'expiresAt'>,
  now: Date,
): boolean {
  return (
    invitation.status === 'expired' ||
    (invitation.status === 'pending' &&
      invitation.expiresAt !== null &&
      invitation.expiresAt <= now)
  );
}

/**
 * `isExpired`'s time condition in SQL, for rows known to be pending: `alias` is the table's alias
 * (or '' for none) and `now` the placeholder of the current time.
 */
export function pastExpirySql(alias: string, now: string): string {
  const column = alias ? `${alias}.expires_at` : 'expires_at';
  return `(${column} IS NOT NULL AND ${column} <= ${now})`;
}
