const EXPIRY_FORMAT = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'UTC',
});
const DISTANCE = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/**
 * `9 January 2027 at 00:30 UTC (in 7 days)`: the moment in UTC, unambiguous anywhere, and its
 * distance from `now`, which is what a reader wants to know.
 */
export function expiryText(expiresAt: Date, now: Date): string {
  const ms = expiresAt.getTime() - now.getTime();
  const [unit, size] = UNITS.find(([, size]) => Math.abs(ms) >= size) ?? UNITS[UNITS.length - 1];
  return `${EXPIRY_FORMAT.format(expiresAt)} UTC (${DISTANCE.format(Math.round(ms / size), unit)})`;
}
