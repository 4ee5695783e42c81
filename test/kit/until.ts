/**
 * Polls `condition` every `intervalMs` until it holds (anything truthy); throws naming `what` after
 * `timeoutMs`. For what the app does in the background: the mail worker, a queue draining.
 */
export async function until(
  condition: () => unknown,
  timeoutMs = 10_000,
  what = 'condition',
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
