/**
 * The `flowmatch` command end to end, run as a child process (`node --import tsx
 * lib/cli/main.ts`) on tiny settings: train, sample, nll, eval on a toy MLP and on a tiny
 * U-Net over 64 Fashion-MNIST images; usage errors and bad files; Ctrl-C during training.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { execFileSync, spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { FASHION_MNIST_DIR, encodePng, loadCheckpoint, readMetrics, readSafetensorsHeader, dispose } from '../../lib/index';
import { fashionMnistTest, haveFashionMnist } from '../helpers/fashion-mnist';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'lib', 'cli', 'main.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-cli-'));
const MOONS = path.join(tmp, 'moons');
const UNET = path.join(tmp, 'unet');
const IDX = path.join(tmp, 'idx');
const haveImages = haveFashionMnist;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

// By file URL, so a child can run in another working folder (where runs/<dataset> goes).
const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

function start(args: string[], cwd = ROOT) {
  return spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
}

function finished(child: ReturnType<typeof start>): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

const cli = (...args: string[]): Promise<Result> => finished(start(args));

/** cli(), killed if it runs past `limitMs`: for inputs that a regression would block on, so the test fails instead of hanging. */
function cliGuarded(limitMs: number, ...args: string[]): Promise<Result> {
  const child = start(args);
  const guard = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return finished(child).finally(() => clearTimeout(guard));
}
const cliIn = (cwd: string, ...args: string[]): Promise<Result> => finished(start(args, cwd));

/** Leftovers of interrupted atomic writes (the library's and writePng's temp files). */
const tempFiles = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.includes('.tmp-'));

/** The first `count` records of an IDX file (gzipped), as an uncompressed IDX file. */
function idxHead(file: string, count: number): Buffer {
  const all = zlib.gunzipSync(fs.readFileSync(file));
  const dims = all[3];
  const header = Buffer.from(all.subarray(0, 4 + 4 * dims));
  header.writeUInt32BE(count, 4);
  let recordBytes = 1;
  for (let d = 1; d < dims; d++) recordBytes *= header.readUInt32BE(4 + 4 * d);
  return Buffer.concat([header, all.subarray(header.length, header.length + count * recordBytes)]);
}

const TINY_UNET = ['--dataset', 'fashion-mnist', '--data-root', IDX, '--model-channels', '32', '--channel-mult', '1,2', '--num-res-blocks', '1', '--num-heads', '1'];

let moonsTrain: Result;
let unetTrain: Result | undefined;

test.before(async () => {
  if (haveImages) {
    fs.mkdirSync(IDX);
    for (const [prefix, count] of [['train', 64], ['t10k', 16]] as const) {
      for (const kind of ['images-idx3', 'labels-idx1']) {
        fs.writeFileSync(path.join(IDX, `${prefix}-${kind}-ubyte`), idxHead(path.join(FASHION_MNIST_DIR, `${prefix}-${kind}-ubyte.gz`), count));
      }
    }
  }
  [moonsTrain, unetTrain] = await Promise.all([
    cli('train', '--dataset', 'moons', '--hidden', '8,8', '--steps', '20', '--batch-size', '64', '--out', MOONS, '--preview-samples', '200', '--json'),
    haveImages
      ? cli('train', ...TINY_UNET, '--classes', '10', '--super-res', '--steps', '3', '--batch-size', '8', '--out', UNET, '--preview-samples', '4', '--json')
      : undefined,
  ]);
});

test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('train writes a complete run folder and prints JSON only', (t) => {
  t.is(moonsTrain.code, 0, moonsTrain.stderr);
  const result = JSON.parse(moonsTrain.stdout);
  t.is(result.step, 20);
  t.true(Number.isFinite(result.finalLoss));
  for (const f of ['config.json', 'metrics.jsonl', 'checkpoint.safetensors', 'model.safetensors', 'loss.png', 'samples.png']) t.true(fs.existsSync(path.join(MOONS, f)), f);
  t.deepEqual(tempFiles(MOONS), []);
  const config = JSON.parse(fs.readFileSync(path.join(MOONS, 'config.json'), 'utf8'));
  t.like(config, { dataset: 'moons', path: 'ot', model: 'mlp', hidden: [8, 8], steps: 20, batchSize: 64 });
  t.is(readMetrics(path.join(MOONS, 'metrics.jsonl')).length, 20);
});

test('sample writes a PNG and a safetensors file and reports NFE', async (t) => {
  const png = path.join(tmp, 'moons-samples.png');
  const st = path.join(tmp, 'moons-samples.safetensors');
  const r = await cli('sample', '--run', MOONS, '--png', png, '--safetensors', st, '--method', 'rk4', '--steps', '5', '--n', '50', '--json');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { nfe: 20, n: 50, files: [st, png] });
  t.deepEqual(readSafetensorsHeader(st).tensors.samples.shape, [50, 2]);
  t.is(fs.readFileSync(png).subarray(1, 4).toString(), 'PNG');
});

test('nll and eval on a toy run', async (t) => {
  const [nll, evaluation] = await Promise.all([cli('nll', '--run', MOONS, '--n', '100', '--json'), cli('eval', '--run', MOONS, '--n', '100')]);
  t.is(nll.code, 0, nll.stderr);
  const r = JSON.parse(nll.stdout);
  t.is(r.unit, 'nats');
  t.is(r.n, 100);
  t.true(Number.isFinite(r.nll) && r.nfe > 0);
  t.is(evaluation.code, 0, evaluation.stderr);
  t.regex(evaluation.stdout, /W2\s+\d+\.\d+/);
  t.regex(evaluation.stdout, /NLL \(nats\)/);
  t.regex(evaluation.stdout, /NFE \(sampling\)\s+\d+\s+dopri5, rtol 0\.00001/);
});

test('help for the command and for each subcommand', async (t) => {
  const [top, train] = await Promise.all([cli('--help'), cli('train', '--help')]);
  t.is(top.code, 0);
  t.regex(top.stdout, /commands:[\s\S]*train[\s\S]*sample[\s\S]*nll[\s\S]*eval[\s\S]*doctor/);
  t.is(train.code, 0);
  t.regex(train.stdout, /--sigma-min <number>/);
  t.regex(train.stdout, /--optimizer adam\|adamw\|sgd/);
});

test('usage errors: unknown option, bad values, conflicting options; nothing written', async (t) => {
  const out = path.join(tmp, 'never');
  const [unknown, badNumber, badChoice, misplaced] = await Promise.all([
    cli('train', '--stepz', '3', '--out', out),
    cli('train', '--lr', 'abc', '--out', out),
    cli('sample', '--run', MOONS, '--png', path.join(out, 'x.png'), '--method', 'rk5'),
    cli('train', '--dataset', 'moons', '--beta-min', '0.1', '--out', out),
  ]);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown option --stepz \(did you mean --steps\?\)/);
  t.is(badNumber.code, 2);
  t.regex(badNumber.stderr, /Expected a number > 0 for --lr but received "abc"/);
  t.is(badChoice.code, 2);
  t.regex(badChoice.stderr, /Expected one of .*dopri5.* for --method but received "rk5"/);
  t.is(misplaced.code, 2);
  t.regex(misplaced.stderr, /--beta-min does not apply to --path ot/);
  t.false(fs.existsSync(out));
});

test('bad files: missing run folder, corrupt config.json, corrupt checkpoint', async (t) => {
  const broken = path.join(tmp, 'broken');
  fs.cpSync(MOONS, broken, { recursive: true });
  fs.writeFileSync(path.join(broken, 'config.json'), '{"dataset": "moons", "hidden": [8, 8');
  const badCheckpoint = path.join(tmp, 'bad-checkpoint.safetensors');
  fs.writeFileSync(badCheckpoint, fs.readFileSync(path.join(MOONS, 'checkpoint.safetensors')).subarray(0, 200));
  const png = path.join(tmp, 'never.png');
  const [missing, config, checkpoint] = await Promise.all([
    cli('sample', '--run', path.join(tmp, 'no-such-run'), '--png', png),
    cli('nll', '--run', broken),
    cli('sample', '--checkpoint', badCheckpoint, '--png', png),
  ]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /run folder .*no-such-run does not exist/);
  t.is(config.code, 1);
  t.regex(config.stderr, /config\.json.*not valid JSON/);
  t.is(checkpoint.code, 1);
  t.regex(checkpoint.stderr, /bad-checkpoint\.safetensors/);
  t.false(fs.existsSync(png));
  t.deepEqual(tempFiles(tmp), []);
});

test('a checkpoint alone carries its run spec', async (t) => {
  const st = path.join(tmp, 'from-checkpoint.safetensors');
  const r = await cli('sample', '--checkpoint', path.join(MOONS, 'checkpoint.safetensors'), '--safetensors', st, '--method', 'euler', '--steps', '3', '--n', '7', '--json');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(readSafetensorsHeader(st).tensors.samples.shape, [7, 2]);
});

test('Ctrl-C stops training after a step with a valid checkpoint; --config keys with flags over them', async (t) => {
  const out = path.join(tmp, 'interrupted');
  const configFile = path.join(tmp, 'long.json');
  fs.writeFileSync(configFile, JSON.stringify({ dataset: 'circles', hidden: [16], steps: 1_000_000, 'batch-size': 32 }));
  const child = start(['train', '--config', configFile, '--batch-size', '16', '--out', out, '--json']);
  const done = finished(child);
  const metrics = path.join(out, 'metrics.jsonl');
  // Poll for the first metrics line: the process is then inside its training loop.
  while (!(fs.existsSync(metrics) && fs.readFileSync(metrics, 'utf8').includes('\n'))) {
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGINT');
  const r = await done;
  t.true(r.code === 0 || r.code === 130, `exit ${r.code} ${r.signal} ${r.stderr}`);
  const result = JSON.parse(r.stdout);
  t.true(result.stopped);
  const records = readMetrics(metrics);
  const ckpt = loadCheckpoint(path.join(out, 'checkpoint.safetensors'));
  t.is(ckpt.step, records[records.length - 1].step as number);
  t.is(ckpt.step, result.step);
  dispose([ckpt.model, ckpt.ema, ckpt.optimizer, ckpt.rng]);
  t.like(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')), { dataset: 'circles', hidden: [16], batchSize: 16, steps: 1_000_000 });
  t.deepEqual(tempFiles(out), []);
});

const imageTest = fashionMnistTest('cli.test');

imageTest('U-Net: class-conditional super-resolution run trains, samples with guidance and low-res inputs', async (t) => {
  const r = unetTrain as Result;
  t.is(r.code, 0, r.stderr);
  t.true(fs.existsSync(path.join(UNET, 'samples.png')));
  t.like(JSON.parse(fs.readFileSync(path.join(UNET, 'config.json'), 'utf8')), { model: 'unet', classes: 10, labelDropout: 0.1, superRes: true, channelMult: [1, 2] });

  const lowResPng = path.join(tmp, 'low.png');
  fs.writeFileSync(lowResPng, encodePng({ width: 14, height: 14, channels: 1, data: new Uint8Array(196).fill(128) }));
  const grid = path.join(tmp, 'unet.png');
  const st = path.join(tmp, 'unet.safetensors');
  const [fromTest, fromPng] = await Promise.all([
    cli('sample', '--run', UNET, '--png', grid, '--labels', '0,1', '--guidance', '1', '--low-res-from-test', '2', '--method', 'euler', '--steps', '2', '--json'),
    cli('sample', '--run', UNET, '--safetensors', st, '--labels', '3', '--low-res', lowResPng, '--method', 'euler', '--steps', '2', '--json'),
  ]);
  t.is(fromTest.code, 0, fromTest.stderr);
  t.deepEqual(JSON.parse(fromTest.stdout), { nfe: 2, n: 2, files: [grid], labels: [0, 1] });
  t.is(fromPng.code, 0, fromPng.stderr);
  t.deepEqual(readSafetensorsHeader(st).tensors.samples.shape, [1, 1, 28, 28]);
});

imageTest('U-Net: bits/dim, eval with FID (built-in classifier, TorchScript --features), conditioning checks', async (t) => {
  const loose = ['--rtol', '1e-2', '--atol', '1e-2', '--n', '2'];
  const torchScript = path.join(__dirname, '..', 'fixtures', 'torchscript', 'features.pt');
  const [nll, evaluation, scripted, missing, noLowRes] = await Promise.all([
    cli('nll', '--run', UNET, ...loose, '--K', '2', '--json'),
    cli('eval', '--run', UNET, ...loose),
    cli('eval', '--run', UNET, ...loose, '--features', torchScript, '--json'),
    cli('eval', '--run', UNET, '--features', path.join(tmp, 'inception.pt')),
    cli('sample', '--run', UNET, '--png', path.join(tmp, 'never.png'), '--labels', '0'),
  ]);
  t.is(nll.code, 0, nll.stderr);
  const r = JSON.parse(nll.stdout);
  t.is(r.unit, 'bits/dim');
  t.true(r.nll > 0 && Number.isFinite(r.nll));
  t.is(evaluation.code, 0, evaluation.stderr);
  t.regex(evaluation.stdout, /NLL \(bits\/dim\)/);
  t.regex(evaluation.stdout, /FID\s+\d+\.\d+\s+2 samples vs \d+ test images, features of the built-in Fashion-MNIST classifier/);
  t.is(scripted.code, 0, scripted.stderr);
  const fidScripted = JSON.parse(scripted.stdout).metrics.FID;
  t.true(Number.isFinite(fidScripted) && fidScripted >= 0, String(fidScripted));
  t.is(missing.code, 2);
  t.regex(missing.stderr, /--features: .*inception\.pt does not exist/);
  t.is(noLowRes.code, 2);
  t.regex(noLowRes.stderr, /super-resolution run: give --low-res/);
  t.false(fs.existsSync(path.join(tmp, 'never.png')));
});

imageTest('U-Net: a class-conditional run samples without --labels: uniform classes seeded by --seed, with or without guidance', async (t) => {
  const draw = (seed: string, file: string, ...more: string[]) =>
    cli('sample', '--run', UNET, '--safetensors', path.join(tmp, file), '--n', '8', '--low-res-from-test', '8', '--method', 'euler', '--steps', '2', '--seed', seed, '--json', ...more);
  const [a, b, other, guided] = await Promise.all([draw('5', 'drawn-a.safetensors'), draw('5', 'drawn-b.safetensors'), draw('6', 'drawn-c.safetensors'), draw('5', 'drawn-g.safetensors', '--guidance', '2')]);
  for (const r of [a, b, other, guided]) t.is(r.code, 0, r.stderr);
  const labels = (r: Result): number[] => JSON.parse(r.stdout).labels;
  t.is(labels(a).length, 8);
  t.true(labels(a).every((l) => Number.isInteger(l) && l >= 0 && l <= 9), String(labels(a)));
  t.deepEqual(labels(b), labels(a));
  t.notDeepEqual(labels(other), labels(a));
  t.deepEqual(labels(guided), labels(a));
  t.true(fs.readFileSync(path.join(tmp, 'drawn-a.safetensors')).equals(fs.readFileSync(path.join(tmp, 'drawn-b.safetensors'))));
  t.deepEqual(readSafetensorsHeader(path.join(tmp, 'drawn-c.safetensors')).tensors.samples.shape, [8, 1, 28, 28]);
});

imageTest('U-Net: --n of nll and eval is capped for images; a bad --low-res file is refused by the one file reader', async (t) => {
  const fifo = path.join(tmp, 'low-res-fifo.png');
  execFileSync('mkfifo', [fifo]);
  const never = path.join(tmp, 'never-low-res.png');
  const [nll, evaluation, onFifo, missing] = await Promise.all([
    cli('nll', '--run', UNET, '--n', '50001'),
    cli('eval', '--run', UNET, '--n', '50001'),
    cliGuarded(120_000, 'sample', '--run', UNET, '--png', never, '--low-res', fifo),
    cli('sample', '--run', UNET, '--png', never, '--low-res', path.join(tmp, 'no-such-low-res.png')),
  ]);
  for (const r of [nll, evaluation]) {
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /Expected an integer ≤ 50000 for --n of an image run but received 50001/);
  }
  t.is(onFifo.signal, null, 'reading a FIFO as --low-res blocked');
  t.is(onFifo.code, 1, onFifo.stderr);
  t.regex(onFifo.stderr, /low-res-fifo\.png: is a FIFO \(named pipe\), not a regular file/);
  t.is(missing.code, 2, missing.stderr);
  t.regex(missing.stderr, /--low-res file .*no-such-low-res\.png does not exist/);
  t.false(fs.existsSync(never));
});

test('--n of nll and eval is capped and the caps are in --help; --guidance needs a class-conditional run', async (t) => {
  const [nll, evaluation, nllHelp, evalHelp, guided] = await Promise.all([
    cli('nll', '--run', MOONS, '--n', '1000001'),
    cli('eval', '--run', MOONS, '--n', '1000001'),
    cli('nll', '--help'),
    cli('eval', '--help'),
    cli('sample', '--run', MOONS, '--png', path.join(tmp, 'never-guided.png'), '--guidance', '1'),
  ]);
  for (const r of [nll, evaluation]) {
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /Expected an integer ≥ 1 ≤ 1000000 for --n but received "1000001"/);
  }
  for (const r of [nllHelp, evalHelp]) {
    t.is(r.code, 0);
    t.regex(r.stdout, /--n <int>\s+held-out points .*\(at most 1000000 for toys, 50000 for images\)/);
  }
  t.is(guided.code, 2);
  t.regex(guided.stderr, /--guidance needs a class-conditional run/);
  t.false(fs.existsSync(path.join(tmp, 'never-guided.png')));
});

test('a --config file is read as a regular file of at most 1 MiB: a FIFO or an oversized file is refused, not read', async (t) => {
  const fifo = path.join(tmp, 'config-fifo.json');
  execFileSync('mkfifo', [fifo]);
  const big = path.join(tmp, 'big-config.json');
  fs.writeFileSync(big, `{"dataset": "moons", "x": "${'a'.repeat(2 ** 20)}"}`);
  const out = path.join(tmp, 'never-config');
  const [onFifo, onBig, onZero] = await Promise.all([
    cliGuarded(120_000, 'train', '--config', fifo, '--out', out),
    cli('train', '--config', big, '--out', out),
    cliGuarded(120_000, 'train', '--config', '/dev/zero', '--out', out),
  ]);
  t.is(onFifo.signal, null, 'reading a FIFO as --config blocked');
  t.is(onFifo.code, 2, onFifo.stderr);
  t.regex(onFifo.stderr, /cannot read the config file: .*config-fifo\.json: is a FIFO/);
  t.is(onBig.code, 2, onBig.stderr);
  t.regex(onBig.stderr, /big-config\.json: holds \d+ bytes; this reader's limit is 1048576 bytes \(1 MiB\)/);
  t.is(onZero.signal, null, 'reading /dev/zero as --config did not stop');
  t.is(onZero.code, 2, onZero.stderr);
  t.regex(onZero.stderr, /\/dev\/zero: is a character device/);
  t.false(fs.existsSync(out));
});

test('train --resume without --out continues runs/<dataset> with its own config.json; conflicting flags are refused', async (t) => {
  const cwd = fs.mkdtempSync(path.join(tmp, 'cwd-'));
  const first = await cliIn(cwd, 'train', '--dataset', 'moons', '--path', 'vp', '--lr', '0.01', '--hidden', '8', '--steps', '4', '--batch-size', '16', '--preview-samples', '0', '--json');
  t.is(first.code, 0, first.stderr);
  const run = path.join(cwd, 'runs', 'moons');
  const [conflict, missing] = await Promise.all([
    cliIn(cwd, 'train', '--resume', '--dataset', 'moons', '--path', 'ot', '--lr', '0.001', '--steps', '8'),
    cliIn(cwd, 'train', '--resume', '--dataset', 'circles'),
  ]);
  t.is(conflict.code, 2);
  t.regex(conflict.stderr, /--path "ot" \(the run has "vp"\), --lr 0\.001 \(the run has 0\.01\)/);
  t.regex(conflict.stderr, /only --steps and --checkpoint-every may change/);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /runs\/circles has no checkpoint\.safetensors to continue from \(without --out, --resume continues runs\/<--dataset>/);
  const resumed = await cliIn(cwd, 'train', '--resume', '--dataset', 'moons', '--steps', '8', '--preview-samples', '0', '--json');
  t.is(resumed.code, 0, resumed.stderr);
  t.is(JSON.parse(resumed.stdout).step, 8);
  t.like(JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')), { dataset: 'moons', path: 'vp', lr: 0.01, hidden: [8], steps: 8, batchSize: 16 });
  t.deepEqual(readMetrics(path.join(run, 'metrics.jsonl')).map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('--seed makes a run reproducible: the same seed gives bit-identical checkpoints, another seed does not', async (t) => {
  const args = (seed: string, out: string) => ['train', '--dataset', 'circles', '--hidden', '8,8', '--steps', '5', '--batch-size', '16', '--seed', seed, '--preview-samples', '0', '--out', path.join(tmp, out), '--json'];
  const runs = await Promise.all([cli(...args('5', 'seed-a')), cli(...args('5', 'seed-b')), cli(...args('6', 'seed-c'))]);
  for (const r of runs) t.is(r.code, 0, r.stderr);
  const bytes = (out: string, file: string) => fs.readFileSync(path.join(tmp, out, file));
  for (const file of ['checkpoint.safetensors', 'model.safetensors']) {
    t.true(bytes('seed-a', file).equals(bytes('seed-b', file)), `${file} differs between two runs with seed 5`);
    t.false(bytes('seed-a', file).equals(bytes('seed-c', file)), `${file} is the same for seeds 5 and 6`);
  }
});

test('strict option values: empty or hex numbers and lists, mnist without its folder, --n beyond the cap, --out under /proc', async (t) => {
  const out = path.join(tmp, 'never-strict');
  const run = ['--dataset', 'moons', '--out', out];
  const [emptyHidden, gapHidden, hexSteps, spaceSteps, mnist, hugeN, capN, proc] = await Promise.all([
    cli('train', ...run, '--hidden', ''),
    cli('train', ...run, '--hidden', '8,,8'),
    cli('train', ...run, '--steps', '0x10'),
    cli('train', ...run, '--steps', ' '),
    cli('train', '--dataset', 'mnist', '--out', out),
    cli('sample', '--run', MOONS, '--safetensors', path.join(out, 'x.safetensors'), '--n', '1e12'),
    cli('sample', '--run', MOONS, '--safetensors', path.join(tmp, 'capped.safetensors'), '--n', '1000001'),
    cli('train', '--dataset', 'moons', '--hidden', '8', '--steps', '2', '--out', '/proc/x'),
  ]);
  t.is(emptyHidden.code, 2);
  t.regex(emptyHidden.stderr, /Expected a comma-separated list of one or more integers ≥ 1 for --hidden but received ""/);
  t.is(gapHidden.code, 2);
  t.regex(gapHidden.stderr, /for --hidden but received "8,,8"/);
  t.is(hexSteps.code, 2);
  t.regex(hexSteps.stderr, /Expected an integer ≥ 1 for --steps but received "0x10"/);
  t.is(spaceSteps.code, 2);
  t.regex(spaceSteps.stderr, /for --steps but received " "/);
  t.is(mnist.code, 2);
  t.regex(mnist.stderr, /--dataset mnist needs --data-root <folder> with the MNIST IDX files .*holds Fashion-MNIST/);
  t.is(hugeN.code, 2);
  t.regex(hugeN.stderr, /Expected an integer ≥ 1 ≤ 1000000 for --n but received "1e12"/);
  t.is(capN.code, 2);
  t.regex(capN.stderr, /≤ 1000000 for --n but received "1000001"/);
  t.is(proc.code, 1);
  t.regex(proc.stderr, /Cannot create the folder \/proc\/x/);
  t.false(fs.existsSync(out));
});
