/** The counts the adversarial tests report, printed to the ava log and to stdout. */
import type { ExecutionContext } from 'ava';

export function report(t: ExecutionContext, title: string, counts: Record<string, number | string>): void {
  const line = `${title}: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`;
  t.log(line);
  console.log(line);
}
