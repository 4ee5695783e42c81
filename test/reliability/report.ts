/**
 * One summary line per reliability scenario, printed where CI's log shows it:
 * `reliability: fuzz requests=8000 5xx=0 lost=0 duplicated=0`.
 */
export function reportScenario(name: string, counts: Record<string, number>): void {
  const fields = Object.entries(counts)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  process.stdout.write(`reliability: ${name} ${fields}\n`);
}
