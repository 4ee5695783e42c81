import ms, { type StringValue } from 'ms';

/**
 * `500ms`, `60s`, `1h`, `7d` (ms's syntax), or whole seconds (`3600`), as milliseconds; undefined
 * for anything else, a negative duration included.
 */
export function durationMs(value: string): number | undefined {
  const parsed = /^\d+$/.test(value) ? Number(value) * 1000 : ms(value as StringValue);
  return typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}
