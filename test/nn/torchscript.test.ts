// TorchScript modules saved by PyTorch (test/fixtures/torchscript/make_fixtures.py): loaded
// by libtorch in the addon, their outputs equal PyTorch's, and bad files, bad inputs and
// disposed modules give typed errors.
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import * as fm from '../../lib/index';
import { native } from '../../lib/native';

const DIR = path.join(__dirname, '..', 'fixtures', 'torchscript');
const MODULE = path.join(DIR, 'features.pt');

function maxAbsDiff(a: fm.Tensor, b: fm.Tensor): number {
  return fm.tidy(() => a.sub(b).abs().max().item());
}

test('a scripted module returns PyTorch\'s outputs (a tuple becomes an array)', (t) => {
  const io = fm.loadSafetensors(path.join(DIR, 'features_io.safetensors'));
  const module = fm.loadTorchScript(MODULE);
  const out = module.forward(io.x);
  t.true(Array.isArray(out));
  const [pooled, logits] = out as fm.Tensor[];
  t.deepEqual(pooled.shape, [3, 8]);
  t.deepEqual(logits.shape, [3, 5]);
  t.true(maxAbsDiff(pooled, io.pooled) < 1e-5);
  t.true(maxAbsDiff(logits, io.logits) < 1e-5);
  t.false(pooled.requiresGrad);
  fm.dispose([pooled, logits, io]);
  module.dispose();
  module.dispose();
});

test('as an FID feature extractor: the first output, flattened; equal sets are at distance 0', (t) => {
  const io = fm.loadSafetensors(path.join(DIR, 'features_io.safetensors'));
  const module = fm.loadTorchScript(MODULE);
  const extractor = fm.torchScriptExtractor(module);
  const features = fm.extractFeatures(extractor, io.x, 2);
  t.deepEqual(features.shape, [3, 8]);
  t.is(features.dtype, 'float64');
  t.true(maxAbsDiff(features, io.pooled.double()) < 1e-5);
  fm.manualSeed(0);
  const images = fm.randn([40, 1, 28, 28]);
  const f = fm.extractFeatures(extractor, images);
  t.true(Math.abs(fm.fid(f, f)) < 1e-6);
  fm.dispose([io, features, images, f]);
  module.dispose();
});

test('bad files, bad inputs and disposed modules give typed errors', (t) => {
  t.throws(() => fm.loadTorchScript(path.join(DIR, 'missing.pt')), { instanceOf: fm.ArgumentError, message: /existing TorchScript file/ });
  const notScript = path.join(DIR, 'features_io.safetensors');
  const e = t.throws(() => fm.loadTorchScript(notScript), { instanceOf: fm.FlowmatchError }) as fm.FlowmatchError;
  t.is(e.code, 'ERR_FORMAT');
  t.regex(e.message, /features_io\.safetensors is not a TorchScript module/);
  const truncated = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fm-ts-')), 'cut.pt');
  fs.writeFileSync(truncated, fs.readFileSync(MODULE).subarray(0, 2000));
  t.throws(() => fm.loadTorchScript(truncated), { instanceOf: fm.FlowmatchError, message: /is not a TorchScript module/ });

  const module = fm.loadTorchScript(MODULE);
  const wrongChannels = fm.zeros([2, 3, 28, 28]);
  t.throws(() => module.forward(wrongChannels), { instanceOf: fm.FlowmatchError });
  module.dispose();
  t.throws(() => module.forward(wrongChannels), { instanceOf: fm.DisposedError, message: /disposed/ });
  wrongChannels.dispose();
});

// In a child process with a time limit: a regression that let libtorch open the path itself
// would block on the FIFO (no writer) or read /dev/zero without end, and must fail, not hang.
test('a FIFO and /dev/zero as a TorchScript file give typed errors without blocking', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fm-ts-special-'));
  const fifo = path.join(dir, 'module.pt');
  execFileSync('mkfifo', [fifo]);
  const script = `
    const fm = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'index.ts'))});
    const outcome = (file) => { try { fm.loadTorchScript(file).dispose(); return 'loaded'; } catch (e) { return [e.constructor.name, e.code, e instanceof fm.FlowmatchError, e.message]; } };
    process.stdout.write(JSON.stringify({ fifo: outcome(${JSON.stringify(fifo)}), zero: outcome('/dev/zero') }));
  `;
  const tsx = pathToFileURL(path.join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const child = spawnSync(process.execPath, ['--import', tsx, '-e', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  fs.rmSync(dir, { recursive: true, force: true });
  t.is(child.signal, null, 'the child was killed: loading blocked');
  t.is(child.status, 0, child.stderr);
  const { fifo: onFifo, zero: onZero } = JSON.parse(child.stdout);
  t.deepEqual(onFifo.slice(0, 3), ['FileReadError', 'ERR_NOT_A_REGULAR_FILE', true]);
  t.regex(onFifo[3], /module\.pt: is a FIFO/);
  t.deepEqual(onZero.slice(0, 3), ['FileReadError', 'ERR_NOT_A_REGULAR_FILE', true]);
  t.regex(onZero[3], /\/dev\/zero: is a character device/);
});

test('the addon loads a module from bytes, never from a path: without the bytes it refuses', (t) => {
  const id = native.scriptLoad('in memory', 'cpu', fs.readFileSync(MODULE));
  t.true(typeof id === 'number' && id > 0);
  native.scriptRelease(id);
  const e = t.throws(() => native.scriptLoad(MODULE, 'cpu')) as fm.FlowmatchError;
  t.is(e.code, 'ERR_INVALID_ARGUMENT');
  t.regex(e.message, /Uint8Array of the file's bytes/);
  const empty = t.throws(() => native.scriptLoad('empty.pt', 'cpu', new Uint8Array(0))) as fm.FlowmatchError;
  t.is(empty.code, 'ERR_FORMAT');
  t.regex(empty.message, /empty\.pt is not a TorchScript module/);
});
