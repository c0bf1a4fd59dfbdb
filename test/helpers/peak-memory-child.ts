/**
 * Run as a child process: reads one file with one of flowmatch's readers and prints, as
 * JSON, the error code it got and how much the process's peak RSS grew while reading. A
 * fresh process, so the peak belongs to this read alone.
 */
import { resourceUsage } from 'node:process';
import { readPng } from '../../lib/io/png';
import { readIdx } from '../../lib/data/idx';
import { loadSafetensors } from '../../lib/io/safetensors';

const readers: Record<string, (file: string) => unknown> = { png: readPng, idx: readIdx, safetensors: loadSafetensors };
const [kind, file] = process.argv.slice(2);
// Warm up the reader on a missing file so loading modules does not count as growth.
try {
  readers[kind](`${file}.absent`);
} catch {
  // expected: the file does not exist
}
const before = resourceUsage().maxRSS * 1024;
let code: string | null = null;
try {
  readers[kind](file);
} catch (e) {
  code = (e as { code?: string }).code ?? `untyped ${(e as Error).name}`;
}
const growth = resourceUsage().maxRSS * 1024 - before;
process.stdout.write(JSON.stringify({ code, growth }));
