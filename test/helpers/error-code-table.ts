/**
 * README.md's table of error codes, rendered from the registry (lib/error-codes.ts).
 * test/errors.test.ts checks that the README holds exactly this; to refresh it, run
 * `npx tsx test/helpers/error-code-table.ts` and paste the output between the markers.
 */
import { ERROR_CODES, carriersOf, type ErrorCode } from '../../lib/error-codes';

export const TABLE_START = '<!-- error codes: generated from lib/error-codes.ts by test/helpers/error-code-table.ts -->';
export const TABLE_END = '<!-- end of error codes -->';

export function errorCodeTable(): string {
  const rows = (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => `| \`${code}\` | ${ERROR_CODES[code].meaning} | ${carriersOf(code).map((c) => `\`${c}\``).join(', ')} |`);
  return ['| Code | What went wrong | Carried by |', '| --- | --- | --- |', ...rows].join('\n');
}

if (require.main === module) process.stdout.write(`${TABLE_START}\n${errorCodeTable()}\n${TABLE_END}\n`);
