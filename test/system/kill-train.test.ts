/**
 * Crash safety of `flowmatch train`: SIGKILL at random moments (seeded, so a failure
 * reproduces), resume, kill again. After every kill each file in the run folder loads, the
 * model copy agrees with the checkpoint, and the temporary files of earlier kills are gone
 * once a start has passed its cleanup; at the end the run is byte for byte the run that was
 * never interrupted.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { dispose } from '../../lib/scope';
import type { Tensor } from '../../lib/tensor';
import { isTempName } from '../../lib/io/atomic-write';
import { seededRandom } from '../../lib/metrics/subsample';
import { loadCheckpoint, loadVerifiedSafetensors } from '../../lib/train/checkpoint';
import { readMetricsFile } from '../../lib/train/metrics-log';
import { CHECKPOINT_FILE, CONFIG_FILE, METRICS_FILE, MODEL_FILE, MODEL_SOURCE_KEY, MODEL_STEP_KEY } from '../../lib/train/run-folder';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'lib', 'cli', 'main.ts');
const KILLS = 10;
// FLOWMATCH_KILL_SEED replays another sequence of kill moments.
const SEED = Number(process.env.FLOWMATCH_KILL_SEED ?? 20240611);
const STEPS = 400;
// Each kill lands at most ~35 steps past the resume point, so 10 of them never finish 400 steps.
const MAX_STEPS_PER_SEGMENT = 30;
const RUN = ['--dataset', 'moons', '--hidden', '8,8', '--steps', String(STEPS), '--batch-size', '32', '--checkpoint-every', '3', '--seed', '7', '--preview-samples', '0', '--json'];
// One thread: the children share two cores with each other and with the test, and OpenMP's
// spinning threads would make each step 30× slower there without changing what it computes.
const ENV = { ...process.env, OMP_NUM_THREADS: '1' };

function start(out: string, resume: boolean) {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, 'train', ...RUN, '--out', out, ...(resume ? ['--resume'] : [])], { cwd: ROOT, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
}

function exited(child: ReturnType<typeof start>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The last complete step in the metrics log (0 when there is none yet). */
function loggedStep(out: string): number {
  try {
    const text = fs.readFileSync(path.join(out, METRICS_FILE), 'utf8');
    const lines = text.slice(0, text.lastIndexOf('\n')).split('\n').filter((l) => l.length > 0);
    return lines.length === 0 ? 0 : (JSON.parse(lines[lines.length - 1]).step as number);
  } catch {
    return 0;
  }
}

function bytesOf(t: Tensor): Buffer {
  const data = t.data() as Float32Array;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

const inode = (file: string): number | undefined => (fs.existsSync(file) ? fs.statSync(file).ino : undefined);

/** The complete metrics records as step → [loss, lr]. */
function lossesByStep(out: string): Map<number, [unknown, unknown]> {
  const file = path.join(out, METRICS_FILE);
  if (!fs.existsSync(file)) return new Map();
  return new Map(readMetricsFile(file).records.map((r) => [r.step as number, [r.loss, r.lr]]));
}

/** Every file loads; returns the problems found and whether the model copy disagrees with the checkpoint. */
function inspect(out: string): { corrupt: string[]; disagree: string | undefined } {
  const corrupt: string[] = [];
  let disagree: string | undefined;
  const attempt = (name: string, fn: () => void) => {
    if (!fs.existsSync(path.join(out, name))) return;
    try {
      fn();
    } catch (e) {
      corrupt.push(`${name}: ${(e as Error).message}`);
    }
  };
  attempt(CONFIG_FILE, () => JSON.parse(fs.readFileSync(path.join(out, CONFIG_FILE), 'utf8')));
  attempt(METRICS_FILE, () => readMetricsFile(path.join(out, METRICS_FILE)));
  let ckpt: ReturnType<typeof loadCheckpoint> | undefined;
  attempt(CHECKPOINT_FILE, () => (ckpt = loadCheckpoint(path.join(out, CHECKPOINT_FILE))));
  attempt(MODEL_FILE, () => {
    const copy = loadVerifiedSafetensors(path.join(out, MODEL_FILE));
    try {
      if (ckpt === undefined) {
        disagree = 'a model copy without a checkpoint';
        return;
      }
      if (copy.metadata[MODEL_STEP_KEY] !== String(ckpt.step) || copy.metadata[MODEL_SOURCE_KEY] !== ckpt.digest) {
        disagree = `model copy of step ${copy.metadata[MODEL_STEP_KEY]}, checkpoint at step ${ckpt.step}`;
        return;
      }
      const names = Object.keys(copy.tensors);
      names.forEach((name, i) => {
        const shadow = ckpt!.ema?.[`shadow.${i}`];
        if (shadow === undefined || !bytesOf(shadow).equals(bytesOf(copy.tensors[name]))) disagree = `${name} differs from the checkpoint's EMA weights`;
      });
    } finally {
      dispose(copy.tensors);
    }
  });
  if (ckpt) dispose([ckpt.model, ckpt.ema, ckpt.optimizer, ckpt.rng]);
  return { corrupt, disagree };
}

test('kill -9 at random moments: no corrupt file, no leftover temp, model and checkpoint agree, resume is bit-exact', async (t) => {
  t.timeout(180_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-kill-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const reference = path.join(tmp, 'reference');
  const out = path.join(tmp, 'killed');
  const referenceDone = exited(start(reference, false));

  const random = seededRandom(SEED);
  const counts = { kills: 0, corrupt: 0, leftoverTemps: 0, disagreements: 0, exactSegments: 0, segments: 0, tempsLeftByKills: 0, modelCopyAbsent: 0 };
  const problems: string[] = [];
  const snapshots: Map<number, [unknown, unknown]>[] = [];
  while (counts.kills < KILLS) {
    const resumeFrom = loggedStep(out);
    const configBefore = inode(path.join(out, CONFIG_FILE));
    const child = start(out, fs.existsSync(path.join(out, CHECKPOINT_FILE)));
    const done = exited(child);
    let finished = false;
    void done.then(() => (finished = true));
    // A third of the kills come at a random time from the start (often during its startup,
    // cleanup and repairs), the rest a few milliseconds after a random training step. Either
    // way the kill comes before the segment's step budget is spent, however fast the
    // machine, so that ten kills never let the run finish.
    if (random() < 1 / 3) {
      const deadline = Date.now() + 200 + random() * 1800;
      while (!finished && Date.now() < deadline && loggedStep(out) < resumeFrom + MAX_STEPS_PER_SEGMENT) await wait(5);
    } else {
      const target = resumeFrom + 1 + Math.floor(random() * MAX_STEPS_PER_SEGMENT);
      while (!finished && loggedStep(out) < target) await wait(5);
      await wait(random() * 15);
    }
    if (finished) {
      const r = await done;
      t.fail(`the run ended (exit ${r.code}) before kill ${counts.kills + 1}: ${r.stderr}`);
      return;
    }
    child.kill('SIGKILL');
    const r = await done;
    t.is(r.signal, 'SIGKILL', r.stderr);
    counts.kills += 1;

    counts.tempsLeftByKills += fs.readdirSync(out).filter((f) => isTempName(f) && f.includes(`.${child.pid}.`)).length;
    if (fs.existsSync(path.join(out, CHECKPOINT_FILE)) && !fs.existsSync(path.join(out, MODEL_FILE))) counts.modelCopyAbsent += 1;
    const { corrupt, disagree } = inspect(out);
    counts.corrupt += corrupt.length;
    problems.push(...corrupt.map((c) => `kill ${counts.kills}: ${c}`));
    if (disagree !== undefined) {
      counts.disagreements += 1;
      problems.push(`kill ${counts.kills}: ${disagree}`);
    }
    // A start that rewrote config.json got past its cleanup, so only this child's own
    // temporary files may be left.
    if (inode(path.join(out, CONFIG_FILE)) !== configBefore) {
      const stale = fs.readdirSync(out).filter((f) => isTempName(f) && !f.includes(`.${child.pid}.`));
      counts.leftoverTemps += stale.length;
      problems.push(...stale.map((f) => `kill ${counts.kills}: ${f} left by an earlier kill`));
    }
    snapshots.push(lossesByStep(out));
  }

  const final = await exited(start(out, fs.existsSync(path.join(out, CHECKPOINT_FILE))));
  t.is(final.code, 0, final.stderr);
  const ref = await referenceDone;
  t.is(ref.code, 0, ref.stderr);
  counts.leftoverTemps += fs.readdirSync(out).filter(isTempName).length;
  snapshots.push(lossesByStep(out));

  // Every segment's losses, including steps a later resume redid, are the uninterrupted run's.
  const expected = lossesByStep(reference);
  t.is(expected.size, STEPS);
  for (const snapshot of snapshots) {
    counts.segments += 1;
    const wrong = [...snapshot].filter(([step, value]) => JSON.stringify(expected.get(step)) !== JSON.stringify(value));
    if (wrong.length === 0) counts.exactSegments += 1;
    else problems.push(`segment ${counts.segments}: steps ${wrong.map(([s]) => s).slice(0, 5).join(', ')} differ from the uninterrupted run`);
  }
  const sameBytes = [CHECKPOINT_FILE, MODEL_FILE, CONFIG_FILE].filter((f) => fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(reference, f))));
  t.log(
    `kills ${counts.kills}, corrupt files ${counts.corrupt}, leftover temp files ${counts.leftoverTemps}, model/checkpoint disagreements ${counts.disagreements}, ` +
      `bit-exact segments ${counts.exactSegments}/${counts.segments}, final files identical to the uninterrupted run: ${sameBytes.join(', ')}; ` +
      `the kills cut ${counts.tempsLeftByKills} writes short (temp files the next start removed) and ${counts.modelCopyAbsent} times caught the model copy removed for a commit (seed ${SEED})`,
  );
  t.deepEqual(problems, []);
  t.is(counts.kills, KILLS);
  t.deepEqual(sameBytes, [CHECKPOINT_FILE, MODEL_FILE, CONFIG_FILE]);
  t.is(lossesByStep(out).size, STEPS);
});
