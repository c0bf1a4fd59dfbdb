/** What a command prints on stdout: JSON alone with --json (machine-readable), else text for a person. */
export function printResult(json: boolean, result: Record<string, unknown>, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(result, null, 2) + '\n' : text() + '\n');
}
