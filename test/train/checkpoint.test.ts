/**
 * The atomic writer and training checkpoints: temp files and their cleanup, typed write
 * errors naming the file, the data digest, damaged metadata, and the model copy that a run
 * folder keeps beside its checkpoint.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as fm from '../../lib/index';
import { isTempName, removeStaleTemps, writeFileAtomic, writeFileAtomicSync } from '../../lib/io/atomic-write';
import { writePng } from '../../lib/io/png';
import { saveSafetensors, readSafetensorsHeader } from '../../lib/io/safetensors';
import { CheckpointError, loadCheckpoint, saveCheckpoint } from '../../lib/train/checkpoint';
import { CHECKPOINT_FILE, MODEL_FILE, MODEL_SOURCE_KEY, MODEL_STEP_KEY, ensureFolder } from '../../lib/train/run-folder';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-checkpoint-'));

/** The pid of a process that has exited, so no live writer owns a temp name that carries it. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid as number;
}

function tinyCheckpoint(file: string, step = 3): string {
  return fm.tidy(() => saveCheckpoint(file, { step, model: { w: fm.tensor([1, 2, 3]) }, optimizer: { 'state.0.m': fm.tensor([0.5]) }, rng: fm.tensor([7], { dtype: 'uint8' }), meta: { note: 'x' } }));
}

/** A safetensors file whose checkpoint metadata is exactly `text`. */
function withMetadata(file: string, text: string): void {
  fm.tidy(() => saveSafetensors(file, { rng: fm.tensor([7], { dtype: 'uint8' }), 'model.w': fm.tensor([1]) }, { 'flowmatch.checkpoint': text }));
}

test('atomic writes replace the file whole and leave no temporary file', async (t) => {
  const dir = tmp();
  const file = path.join(dir, 'a.txt');
  writeFileAtomicSync(file, 'one');
  await writeFileAtomic(file, new Uint8Array([0x74, 0x77, 0x6f]));
  t.is(fs.readFileSync(file, 'utf8'), 'two');
  t.deepEqual(fs.readdirSync(dir), ['a.txt']);
});

test('write errors are FlowmatchErrors naming the file: missing folder, PNG, safetensors', async (t) => {
  const dir = tmp();
  const missing = path.join(dir, 'no-such-folder', 'x.bin');
  t.throws(() => writeFileAtomicSync(missing, 'x'), { instanceOf: fm.FlowmatchError, code: 'ERR_WRITE', message: /Cannot write .*no-such-folder.*x\.bin: its folder .* does not exist/ });
  const png = path.join(dir, 'no-such-folder', 'p.png');
  await t.throwsAsync(writePng(png, { width: 1, height: 1, channels: 1, data: new Uint8Array([9]) }), { instanceOf: fm.FlowmatchError, code: 'ERR_WRITE', message: /p\.png/ });
  t.throws(() => fm.tidy(() => saveSafetensors(path.join(dir, 'no-such-folder', 's.safetensors'), { a: fm.tensor([1]) })), { instanceOf: fm.FlowmatchError, code: 'ERR_WRITE', message: /s\.safetensors/ });
  t.deepEqual(fs.readdirSync(dir), []);
});

test('temporary files of dead writers are removed, those of live writers kept', (t) => {
  const dir = tmp();
  const dead = `.checkpoint.safetensors.${deadPid()}.0123456789ab.tmp`;
  const live = `.model.safetensors.${process.pid}.ba9876543210.tmp`;
  for (const name of [dead, live, 'keep.tmp', 'checkpoint.safetensors']) fs.writeFileSync(path.join(dir, name), 'x');
  t.true(isTempName(dead) && isTempName(live) && !isTempName('keep.tmp'));
  t.deepEqual(removeStaleTemps(dir), [dead]);
  t.deepEqual(fs.readdirSync(dir).sort(), [live, 'checkpoint.safetensors', 'keep.tmp'].sort());
});

test('ensureFolder creates nested folders and fails fast, typed, under /proc and over a file', (t) => {
  const dir = tmp();
  ensureFolder(path.join(dir, 'a', 'b', 'c'));
  t.true(fs.statSync(path.join(dir, 'a', 'b', 'c')).isDirectory());
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  t.throws(() => ensureFolder(path.join(dir, 'file', 'sub')), { instanceOf: fm.FlowmatchError, code: 'ERR_WRITE', message: /exists and is not a folder/ });
  if (fs.existsSync('/proc/self')) t.throws(() => ensureFolder('/proc/x/y'), { instanceOf: fm.FlowmatchError, code: 'ERR_WRITE', message: /\/proc\/x\/y/ });
});

test('a checkpoint round trips and carries the digest of its data', (t) => {
  const file = path.join(tmp(), CHECKPOINT_FILE);
  const digest = tinyCheckpoint(file, 5);
  t.regex(digest, /^[0-9a-f]{64}$/);
  t.is(readSafetensorsHeader(file).metadata['flowmatch.sha256'], digest);
  const before = fm.memory().cpu.tensors;
  const ckpt = loadCheckpoint(file);
  t.is(ckpt.step, 5);
  t.is(ckpt.digest, digest);
  t.deepEqual(Array.from(ckpt.model.w.data()), [1, 2, 3]);
  t.is(ckpt.ema, undefined);
  t.like(ckpt.meta, { note: 'x' });
  fm.dispose([ckpt.model, ckpt.optimizer, ckpt.rng]);
  t.is(fm.memory().cpu.tensors, before);
});

test('every flipped data byte of a checkpoint is caught by its digest, not only those that make NaN', (t) => {
  const file = path.join(tmp(), CHECKPOINT_FILE);
  tinyCheckpoint(file);
  const good = fs.readFileSync(file);
  const { dataStart } = readSafetensorsHeader(file);
  const before = fm.memory().cpu.tensors;
  let caught = 0;
  for (let at = dataStart; at < good.length; at++) {
    const bad = Buffer.from(good);
    bad[at] ^= 0x01;
    fs.writeFileSync(file, bad);
    const e = t.throws(() => loadCheckpoint(file), { instanceOf: CheckpointError, code: 'ERR_CHECKSUM' });
    if (e?.message.includes(file) && /restore it from a copy, or delete it/.test(e.message)) caught += 1;
  }
  t.is(caught, good.length - dataStart);
  t.is(fm.memory().cpu.tensors, before, 'nothing leaks when loading fails');
});

test('damaged checkpoint metadata: one typed message naming the file, what is wrong and what to do', (t) => {
  const dir = tmp();
  const cases: [string, RegExp][] = [
    ['{"step": 3, "hasE', /metadata is not valid JSON/],
    ['[1, 2]', /metadata is \[1, 2\], not a JSON object/],
    ['{"step": "abc", "hasEma": false}', /its step is "abc", not a non-negative integer/],
    ['{"hasEma": false}', /its step is missing/],
    ['{"step": -1, "hasEma": false}', /its step is -1/],
    ['{"step": 2.5, "hasEma": false}', /its step is 2\.5/],
    ['{"step": 2, "hasEma": "yes"}', /its hasEma is "yes"/],
  ];
  const before = fm.memory().cpu.tensors;
  for (const [i, [text, why]] of cases.entries()) {
    const file = path.join(dir, `c${i}.safetensors`);
    withMetadata(file, text);
    const e = t.throws(() => loadCheckpoint(file), { instanceOf: CheckpointError, code: 'ERR_FORMAT' }, text);
    t.regex(e?.message ?? '', why);
    t.true(e?.message.startsWith(`${file}: `), e?.message);
    t.regex(e?.message ?? '', /restore it from a copy, or delete it/);
  }
  t.is(fm.memory().cpu.tensors, before);
});

async function trainTiny(dir: string, steps: number, opts: Partial<fm.TrainOptions> = {}): Promise<fm.TrainResult> {
  fm.manualSeed(4);
  const model = fm.createMLP({ dim: 2, hidden: [8] });
  try {
    return await fm.train({ model, path: fm.otPath(), data: () => ({ x: fm.randn([16, 2]) }), steps, outDir: dir, checkpointEvery: 2, progress: false, seed: 1, ...opts });
  } finally {
    model.dispose();
  }
}

test('the model copy names the checkpoint it was made from and holds its EMA weights', async (t) => {
  const dir = tmp();
  await trainTiny(dir, 5);
  const ckpt = loadCheckpoint(path.join(dir, CHECKPOINT_FILE));
  const copy = fm.loadSafetensors(path.join(dir, MODEL_FILE));
  const meta = readSafetensorsHeader(path.join(dir, MODEL_FILE)).metadata;
  t.is(meta[MODEL_STEP_KEY], '5');
  t.is(meta[MODEL_SOURCE_KEY], ckpt.digest);
  Object.values(copy).forEach((w, i) => t.deepEqual(Array.from(w.data()), Array.from(ckpt.ema![`shadow.${i}`].data())));
  fm.dispose([copy, ckpt.model, ckpt.ema, ckpt.optimizer, ckpt.rng]);
});

test('a start removes the temp files a killed run left and writes the missing model copy again', async (t) => {
  const dir = tmp();
  await trainTiny(dir, 4);
  const stale = `.${CHECKPOINT_FILE}.${deadPid()}.0123456789ab.tmp`;
  fs.writeFileSync(path.join(dir, stale), 'half a checkpoint');
  // As a kill between removing the old model copy and committing the checkpoint leaves it.
  fs.rmSync(path.join(dir, MODEL_FILE));
  const warnings: string[] = [];
  const result = await trainTiny(dir, 4, { resume: true, onWarning: (m) => warnings.push(m) });
  t.is(result.startStep, 4);
  t.deepEqual(fs.readdirSync(dir).filter(isTempName), []);
  t.true(fs.existsSync(path.join(dir, MODEL_FILE)));
  t.is(readSafetensorsHeader(path.join(dir, MODEL_FILE)).metadata[MODEL_STEP_KEY], '4');
  t.is(warnings.length, 1);
  t.regex(warnings[0], /removed 1 temporary file/);
  t.deepEqual(result.warnings, warnings);
});
