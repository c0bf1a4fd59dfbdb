/**
 * Command-line options: one table per command gives each option's type, range and help,
 * and the same table parses flags, reads --config files and prints usage, so the three
 * cannot disagree. Option names are camelCase in the table and in config files, kebab-case
 * on the command line (config files may use either).
 */
import { ArgumentError, type CodeOf } from '../errors';
import { FileReadError, readRegularFile } from '../io/read-file';
import { describe } from '../validate';

/** A mistake in how the command was called (exit code 2), as opposed to a failure while running it. */
export class UsageError extends ArgumentError {
  declare readonly code: CodeOf<'UsageError'>;
  constructor(message: string) {
    super(message, 'ERR_USAGE');
  }
}

export interface OptionSpec {
  type: 'int' | 'number' | 'string' | 'bool' | 'intList';
  help: string;
  /** Allowed strings (type 'string'). */
  choices?: readonly string[];
  /** Lower bound (int, number, intList entries). */
  min?: number;
  /** Upper bound (int, number). */
  max?: number;
  /** Strictly greater than min rather than at least min. */
  exclusiveMin?: boolean;
  /** Fewest entries of an intList (default 1); a list given as flag text always has at least one. */
  minItems?: number;
  /** Shown in the usage; what the command uses when the option is absent. */
  default?: string;
}

export type OptionTable = Record<string, OptionSpec>;
export type OptionValues = Record<string, unknown>;

export const kebab = (name: string): string => name.replace(/(?<=[a-z0-9])[A-Z]/g, (c) => '-' + c.toLowerCase());
const camel = (name: string): string => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function expected(spec: OptionSpec): string {
  const low = spec.min === undefined ? '' : spec.exclusiveMin ? ` > ${spec.min}` : ` ≥ ${spec.min}`;
  const high = spec.max === undefined ? '' : ` ≤ ${spec.max}`;
  switch (spec.type) {
    case 'int':
      return `an integer${low}${high}`;
    case 'number':
      return `a number${low}${high}`;
    case 'bool':
      return 'true or false';
    case 'intList':
      return `a comma-separated list of ${spec.minItems === 0 ? '' : 'one or more '}integers${low}`;
    case 'string':
      return spec.choices ? `one of ${spec.choices.join(', ')}` : 'a non-empty string';
  }
}

const INT_TEXT = /^-?\d+$/;
const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function inRange(v: number, spec: OptionSpec): boolean {
  if (spec.min !== undefined && (spec.exclusiveMin ? !(v > spec.min) : !(v >= spec.min))) return false;
  return spec.max === undefined || v <= spec.max;
}

/** Turns a flag's text (or a config file's JSON value) into the option's type, or throws a UsageError naming `where`. */
export function coerce(value: unknown, spec: OptionSpec, where: string): unknown {
  const bad = (): never => {
    throw new UsageError(`Expected ${expected(spec)} for ${where} but received ${describe(value)}`);
  };
  // Only plain decimal text: Number() reads '0x10' as 16, '0b11' as 3 and '  ' as 0.
  const asNumber = (v: unknown, text: RegExp): number => (typeof v === 'number' ? v : typeof v === 'string' && text.test(v) ? Number(v) : NaN);
  switch (spec.type) {
    case 'int':
    case 'number': {
      const n = asNumber(value, spec.type === 'int' ? INT_TEXT : NUMBER_TEXT);
      if (!Number.isFinite(n) || (spec.type === 'int' && !Number.isSafeInteger(n)) || !inRange(n, spec)) bad();
      return n;
    }
    case 'bool':
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      return bad();
    case 'intList': {
      const items: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',').map((s) => s.trim()) : bad();
      const list = items.map((item) => asNumber(item, INT_TEXT));
      if (list.length < (spec.minItems ?? 1) || list.some((n) => !Number.isSafeInteger(n) || !inRange(n, spec))) bad();
      return list;
    }
    case 'string':
      if (typeof value !== 'string' || value === '' || (spec.choices && !spec.choices.includes(value))) bad();
      return value;
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The candidate nearest to a mistyped name, when it is near enough to be a likely typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const best = candidates.map((c) => ({ c, d: editDistance(name, c) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.c : undefined;
}

function unknownOption(name: string, table: OptionTable): UsageError {
  const best = closest(name, [...Object.keys(table).map(kebab), 'help']);
  return new UsageError(`unknown option --${name}${best ? ` (did you mean --${best}?)` : ''}`);
}

export interface ParsedArgs {
  values: OptionValues;
  help: boolean;
}

/** Parses `--name value`, `--name=value` and bare boolean `--name`; positional arguments are refused. */
export function parseArgs(argv: string[], table: OptionTable): ParsedArgs {
  const values: OptionValues = {};
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument ${JSON.stringify(arg)} (options start with --)`);
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const name = camel(flag);
    const spec = table[name];
    if (spec === undefined || flag !== kebab(name)) throw unknownOption(flag, table);
    let text: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (text === undefined && spec.type !== 'bool') {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith('--') && !/^--?\d/.test(argv[i + 1]))) throw new UsageError(`option --${flag} needs a value (${expected(spec)})`);
      text = argv[++i];
    }
    values[name] = coerce(text ?? true, spec, `--${flag}`);
  }
  return { values, help };
}

// A run spec is a few hundred bytes of JSON; a mebibyte is room for any config written by
// hand or by `flowmatch train`, and a wrong path (a dataset, a checkpoint) is refused unread.
export const MAX_CONFIG_BYTES = 2 ** 20;

/** Options from a JSON file (a regular file of at most MAX_CONFIG_BYTES) whose keys are option names (camelCase or kebab-case). */
export function readConfigFile(file: string, table: OptionTable): OptionValues {
  let text: string;
  try {
    text = readRegularFile(file, MAX_CONFIG_BYTES).toString('utf8');
  } catch (e) {
    if (e instanceof FileReadError) throw new UsageError(`cannot read the config file: ${e.message}`);
    throw e;
  }
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return optionsFromRecord(record, table, file);
}

/** Options from a JSON object (a config file's, or one stored in a checkpoint); `where` names it in messages. */
export function optionsFromRecord(record: unknown, table: OptionTable, where: string): OptionValues {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new UsageError(`${where} should hold a JSON object of options`);
  const values: OptionValues = {};
  for (const [key, value] of Object.entries(record)) {
    const name = camel(key);
    if (value === null) continue;
    const spec = table[name];
    if (spec === undefined) throw new UsageError(`unknown key '${key}' in ${where}${unknownOption(kebab(name), table).message.replace(/^unknown option --\S+/, '')}`);
    values[name] = coerce(value, spec, `'${key}' in ${where}`);
  }
  return values;
}

/** The usage text of a command: a synopsis, then every option with its help and default. */
export function usage(synopsis: string, table: OptionTable): string {
  const rows = Object.entries(table).map(([name, spec]) => {
    const arg = spec.type === 'bool' ? '' : spec.choices ? ` ${spec.choices.join('|')}` : ` <${spec.type === 'intList' ? 'list' : spec.type}>`;
    return [`  --${kebab(name)}${arg}`, `${spec.help}${spec.default === undefined ? '' : ` (default ${spec.default})`}`];
  });
  const width = Math.min(44, Math.max(...rows.map(([left]) => left.length)) + 2);
  const lines = rows.map(([left, right]) => (left.length >= width ? `${left}\n${' '.repeat(width)}${right}` : `${left.padEnd(width)}${right}`));
  return `usage: ${synopsis}\n\noptions:\n${lines.join('\n')}\n  --help${' '.repeat(Math.max(1, width - 8))}print this help\n`;
}
