/** PostgreSQL errors after which running the whole transaction again is safe and likely to work. */
const RETRYABLE = new Set([
  '23505', // unique_violation: a concurrent transaction inserted the same key first
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

export function isRetryable(error: unknown): boolean {
  const code =
    (error as { code?: unknown; driverError?: { code?: unknown } } | null)?.code ??
    (error as { driverError?: { code?: unknown } } | null)?.driverError?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/** Runs `work` (a whole transaction) again when it lost a race the database settled. */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
    }
  }
}
