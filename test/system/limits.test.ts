/**
 * Bounded work on hostile input: files that are not regular files, files over a reader's
 * cap, decompression bombs, tensor sizes no machine holds, and solves that would never end.
 * Each must fail fast with a typed error; none may block, abort or allocate without limit.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeflate, createGzip } from 'node:zlib';
import { pngChunk } from '../helpers/png-chunk';
import {
  DEFAULT_MAX_NUM_STEPS, DatasetError, FileReadError, MAX_PNG_FILE_BYTES, MAX_SAFETENSORS_BYTES, SolverError,
  arange, eye, full, linspace, loadImageFolder, loadSafetensors, memory, odeint, ones, randn, randperm,
  readIdx, readPng, readSafetensorsHeader, sample, tensor, zeros, type Tensor,
} from '../../lib/index';
import { readRegularFile } from '../../lib/io/read-file';
import { NativeError } from '../../lib/errors';
import { native } from '../../lib/native';
import { dtypeCode } from '../../lib/dtype';

const scratch = mkdtempSync(join(tmpdir(), 'flowmatch-bounds-'));
const liveTensors = () => memory().cpu?.tensors ?? 0;

function fifo(name: string): string {
  const file = join(scratch, name);
  execFileSync('mkfifo', [file]);
  return file;
}

/** Streams `bytes` zero bytes after `prefix` through gzip or zlib, never holding them all. */
async function compressedZeros(format: 'gzip' | 'zlib', prefix: Buffer, bytes: number): Promise<Buffer> {
  const z = format === 'gzip' ? createGzip({ level: 9 }) : createDeflate({ level: 9 });
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const ended = once(z, 'end');
  z.write(prefix);
  const block = Buffer.alloc(1 << 20);
  for (let left = bytes; left > 0; left -= block.length) {
    if (!z.write(left >= block.length ? block : block.subarray(0, left))) await once(z, 'drain');
  }
  z.end();
  await ended;
  return Buffer.concat(out);
}


/** Reads `file` in a fresh child process; its error code and how far its peak RSS grew. */
function readInChild(kind: 'png' | 'idx' | 'safetensors', file: string): { code: string | null; growth: number } {
  const child = spawnSync(process.execPath, ['--import=tsx', join(__dirname, '..', 'helpers', 'peak-memory-child.ts'), kind, file], { encoding: 'utf8', timeout: 120_000 });
  if (child.status !== 0) throw new Error(`child exited with ${child.status} (${child.signal}): ${child.stderr}`);
  return JSON.parse(child.stdout);
}

const MiB = 2 ** 20;
// A bomb that the unbounded readers inflated whole; 64 MiB of growth leaves room for the
// reader's own buffers while being far below what inflating it would take.
const BOMB_BYTES = 512 * MiB;
const GROWTH_BOUND = 64 * MiB;

test('special files are refused at once with a typed error naming the file: /dev/zero, /dev/urandom, a FIFO, a folder', (t) => {
  const pipe = fifo('pipe.safetensors');
  const folder = join(scratch, 'a-folder.safetensors');
  mkdirSync(folder);
  for (const file of ['/dev/zero', '/dev/urandom', pipe, folder]) {
    for (const read of [loadSafetensors, readSafetensorsHeader, readPng]) {
      const e = t.throws(() => read(file), { instanceOf: FileReadError, code: 'ERR_NOT_A_REGULAR_FILE' });
      t.true(e!.message.startsWith(`${file}: is `), e!.message);
    }
    t.throws(() => readIdx(file), { instanceOf: DatasetError, code: 'ERR_NOT_A_REGULAR_FILE', message: new RegExp(`^${file}: is .*not a regular file`) });
  }
  t.regex(t.throws(() => loadSafetensors(pipe))!.message, /FIFO/);
  t.regex(t.throws(() => loadSafetensors('/dev/zero'))!.message, /character device/);
  t.throws(() => loadSafetensors(join(scratch, 'absent')), { instanceOf: FileReadError, code: 'ERR_NOT_FOUND' });
});

test('an image folder holding a FIFO or a link to /dev/urandom names that file instead of blocking', (t) => {
  for (const [name, make] of [['fifo', (f: string) => execFileSync('mkfifo', [f])], ['urandom', (f: string) => symlinkSync('/dev/urandom', f)]] as const) {
    const folder = join(scratch, `images-${name}`);
    mkdirSync(folder);
    const bad = join(folder, 'b.png');
    make(bad);
    t.throws(() => loadImageFolder(folder), { instanceOf: DatasetError, code: 'ERR_NOT_A_REGULAR_FILE', message: new RegExp(`^${bad}: is `) });
  }
});

test('size caps: a file over the cap is refused before it is read; /proc files, which report size 0, are read whole', (t) => {
  const file = join(scratch, 'eleven.bin');
  writeFileSync(file, 'hello world');
  t.is(readRegularFile(file, 11).toString(), 'hello world');
  t.throws(() => readRegularFile(file, 10), { instanceOf: FileReadError, code: 'ERR_TOO_LARGE', message: /eleven\.bin: holds 11 bytes; this reader's limit is 10 bytes/ });
  // Sparse files: as large as the caps say, without using the disk.
  const bigPng = join(scratch, 'big.png');
  writeFileSync(bigPng, '');
  truncateSync(bigPng, MAX_PNG_FILE_BYTES + 1);
  t.throws(() => readPng(bigPng), { instanceOf: FileReadError, code: 'ERR_TOO_LARGE', message: /big\.png: holds 268435457 bytes; this reader's limit is 268435456 bytes \(256 MiB\)/ });
  const bigSt = join(scratch, 'big.safetensors');
  writeFileSync(bigSt, '');
  truncateSync(bigSt, MAX_SAFETENSORS_BYTES + 1);
  t.throws(() => loadSafetensors(bigSt), { instanceOf: FileReadError, code: 'ERR_TOO_LARGE', message: /\(4 GiB\)/ });
  const status = readRegularFile('/proc/self/status', 1 << 20).toString();
  t.regex(status, /^Name:/);
  t.throws(() => readRegularFile('/proc/self/status', 16), { code: 'ERR_TOO_LARGE' });
});

test('a 1×1 PNG whose image data inflates to 512 MiB is refused without inflating it', async (t) => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8;
  const idat = await compressedZeros('zlib', Buffer.alloc(0), BOMB_BYTES);
  const file = join(scratch, 'bomb.png');
  writeFileSync(file, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]));
  const { code, growth } = readInChild('png', file);
  t.is(code, 'ERR_FORMAT');
  t.log(`PNG bomb: ${idat.length} bytes of IDAT; peak RSS grew ${(growth / MiB).toFixed(1)} MiB`);
  t.true(growth < GROWTH_BOUND, `peak RSS grew ${growth} bytes`);
});

test('a gzip IDX file whose header says 10 bytes but which inflates to 512 MiB is refused without inflating it', async (t) => {
  const header = Buffer.from([0, 0, 0x08, 1, 0, 0, 0, 10]);
  const file = join(scratch, 'bomb-idx1-ubyte.gz');
  writeFileSync(file, await compressedZeros('gzip', header, BOMB_BYTES));
  const { code, growth } = readInChild('idx', file);
  t.is(code, 'ERR_FORMAT');
  t.log(`IDX bomb: peak RSS grew ${(growth / MiB).toFixed(1)} MiB`);
  t.true(growth < GROWTH_BOUND, `peak RSS grew ${growth} bytes`);
  t.throws(() => readIdx(file), { instanceOf: DatasetError, code: 'ERR_FORMAT', message: /bomb-idx1-ubyte\.gz: the gzip stream inflates to more than the 18 bytes its header describes/ });
});

test('an IDX header that claims more than MAX_DATASET_BYTES fails before any allocation, raw or gzip', async (t) => {
  const header = Buffer.from([0, 0, 0x0e, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]);
  const raw = join(scratch, 'claims-idx3-ubyte');
  writeFileSync(raw, header);
  const gz = join(scratch, 'claims-idx3-ubyte.gz');
  writeFileSync(gz, await compressedZeros('gzip', header, 100));
  for (const file of [raw, gz]) {
    t.throws(() => readIdx(file), { instanceOf: DatasetError, code: 'ERR_TOO_LARGE', message: /shape \[65536,65536,65536\] of float64/ });
  }
});

test('safetensors from /dev/zero in a child process: a typed error and no growth, never an abort', (t) => {
  const { code, growth } = readInChild('safetensors', '/dev/zero');
  t.is(code, 'ERR_NOT_A_REGULAR_FILE');
  t.true(growth < GROWTH_BOUND, `peak RSS grew ${growth} bytes`);
});

test('creation sizes beyond 2^53 elements or the CPU tensor limit are typed errors before allocation; nothing leaks', (t) => {
  const before = liveTensors();
  const tooMany = [() => randn([2 ** 27, 2 ** 27]), () => zeros([1e6, 1e6, 1e6]), () => ones([2 ** 40, 2 ** 20])];
  for (const make of tooMany) t.throws(make, { code: 'ERR_TOO_LARGE', message: /at most 2\^53 − 1 elements/ });
  const tooBig = [() => zeros([1e12]), () => randn([1e6, 1e6]), () => full([2 ** 42], 1), () => eye(1e7), () => arange(1e13), () => linspace(0, 1, 2 ** 42), () => randperm(2 ** 42), () => zeros([2 ** 40], { dtype: 'uint8' })];
  for (const make of tooBig) t.throws(make, { code: 'ERR_OUT_OF_MEMORY', message: /fits in the CPU tensor limit/ });
  t.deepEqual(zeros([0, 2 ** 50]).shape, [0, 2 ** 50], 'an empty tensor of wide shape holds nothing and is allowed');
  t.is(liveTensors(), before + 1);
});

test('libtorch\'s CPU allocator failure, a plain c10::Error, is classified as ERR_OUT_OF_MEMORY', (t) => {
  // 2^60 bytes: past the TypeScript size check (called natively) and past any 64-bit machine's
  // address space, so the allocation fails whatever the overcommit policy, without touching memory.
  const before = liveTensors();
  const e = t.throws(() => native.empty([2 ** 29, 2 ** 28], dtypeCode('float64'), 'cpu', false), { instanceOf: NativeError, code: 'ERR_OUT_OF_MEMORY' });
  t.regex(e!.message, /^empty: .*can't allocate memory/);
  t.is(liveTensors(), before);
});

test('fixed-grid solves that need more than max_num_steps fail before the first step: step_size 1e-300, a long grid', (t) => {
  let calls = 0;
  const f = (_t: number, y: Tensor) => {
    calls++;
    return y.neg();
  };
  const y0 = tensor([1]);
  const before = liveTensors();
  t.throws(() => odeint(f, y0, [0, 1], { method: 'euler', options: { step_size: 1e-300 } }), { instanceOf: SolverError, code: 'ERR_MAX_STEPS', message: /more than max_num_steps = 1000000/ });
  t.throws(() => odeint(f, y0, [0, 1], { method: 'rk4', options: { step_size: 1 / (DEFAULT_MAX_NUM_STEPS + 1) } }), { code: 'ERR_MAX_STEPS' });
  const grid = Array.from({ length: 12 }, (_, i) => i / 11);
  t.throws(() => odeint(f, y0, grid, { method: 'midpoint', options: { max_num_steps: 10 } }), { code: 'ERR_MAX_STEPS', message: /a grid of 12 times/ });
  t.throws(() => odeint(f, y0, [0, 1], { method: 'euler', options: { step_size: 0.05, max_num_steps: 19 } }), { code: 'ERR_MAX_STEPS' });
  t.is(calls, 0);
  const solved = odeint(f, y0, [0, 1], { method: 'euler', options: { step_size: 0.05, max_num_steps: 20 } });
  t.is(solved.nfe, 20);
  solved.solution.dispose();
  t.is(liveTensors(), before);
  t.throws(() => odeint(f, y0, [0, 1], { method: 'euler', options: { max_num_steps: 0 } }), { message: /options\.max_num_steps/ });
});

test('adaptive solves are bounded by default: a max_step that needs 1e300 steps fails at once, a stiff tolerance at max_num_steps', (t) => {
  const y0 = tensor([1]);
  t.throws(() => odeint((_t, y) => y, y0, [0, 1], { options: { max_step: 1e-300 } }), { instanceOf: SolverError, code: 'ERR_MAX_STEPS', message: /max_step = 1e-300/ });
  // y' = 50·cos(50 t) at tight tolerances needs many steps; a small cap must end it with the time reached.
  const e = t.throws(() => odeint((s, y) => y.mul(0).add(50 * Math.cos(50 * s)), y0.to('float64'), [0, 10], { rtol: 1e-12, atol: 1e-12, options: { max_num_steps: 50 } }), { instanceOf: SolverError, code: 'ERR_MAX_STEPS' });
  t.true((e as SolverError).time > 0 && (e as SolverError).time < 10);
});

test('sample with steps: 1e9 fails fast, with or without a trajectory, and leaves no tensor behind', (t) => {
  let calls = 0;
  const model = (x: Tensor) => {
    calls++;
    return x.neg();
  };
  const before = liveTensors();
  for (const returnTrajectory of [false, true]) {
    t.throws(() => sample(model, { n: 2, shape: [3], steps: 1e9, returnTrajectory }), { instanceOf: SolverError, code: 'ERR_MAX_STEPS', message: /1000000000 steps/ });
  }
  t.throws(() => sample(model, { n: 2, shape: [3], stepSize: 1e-300 }), { code: 'ERR_MAX_STEPS' });
  t.is(calls, 0);
  t.is(liveTensors(), before);
});
