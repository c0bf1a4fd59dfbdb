import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import * as fm from '../../lib/index';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'lib', 'cli', 'main.ts');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-reflow-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A teacher trained briefly with independent pairs on moons: curved trajectories. */
async function teacher(): Promise<fm.Module> {
  fm.manualSeed(0);
  const model = fm.createMLP({ dim: 2, hidden: [64, 64] });
  await fm.train({ model, path: fm.otPath({ sigmaMin: 0 }), data: () => ({ x: fm.moons(256) }), steps: 400, seed: 0, ema: false, progress: false });
  model.eval();
  return model;
}

test.serial('a 1-rectified flow is straighter than its teacher and lands near the teacher’s samples in few steps; distillation in one', async (t) => {
  const model = await teacher();
  const student = fm.createMLP({ dim: 2, hidden: [64, 64] });
  fm.manualSeed(77);
  const x0 = fm.randn([500, 2]);
  const reference = fm.sample(model, { x0, method: 'dopri5' }).samples;
  const before = fm.straightness(model, x0);
  const seen: fm.ReflowPhase[] = [];
  const measured: Record<string, { straightness: number; oneStep: number }> = {};
  const oneStepError = (m: fm.Module) => fm.tidy(() => fm.sample(m, { x0, method: 'euler', steps: 1 }).samples.sub(reference).square().sum(1).mean().item() as number);
  const result = await fm.reflow({
    teacher: model,
    student,
    shape: [2],
    pairs: 3000,
    steps: 400,
    rounds: 1,
    distill: true,
    distillSteps: 300,
    ema: false,
    progress: false,
    onPhase: (phase) => {
      seen.push(phase);
      student.eval();
      measured[phase.phase] = { straightness: fm.straightness(student, x0).straightness, oneStep: oneStepError(student) };
    },
  });
  t.deepEqual(result.phases.map((p) => [p.phase, p.round, p.train.step]), [['reflow', 1, 400], ['distill', 2, 300]]);
  t.deepEqual(seen, result.phases);
  t.true(result.phases.every((p) => p.generationNfe > 0));
  t.true(measured.reflow.straightness < 0.5 * before.straightness, `straightness ${measured.reflow.straightness} vs teacher ${before.straightness}`);
  const teacherOneStep = oneStepError(model);
  t.true(measured.reflow.oneStep < teacherOneStep, `1-step error ${measured.reflow.oneStep} vs teacher ${teacherOneStep}`);
  t.true(measured.distill.oneStep < measured.reflow.oneStep, `distilled 1-step error ${measured.distill.oneStep} vs 1-rectified ${measured.reflow.oneStep}`);
  fm.dispose([x0, reference, before.samples]);
  model.dispose();
  student.dispose();
});

test.serial('reflow is reproducible: the same seed gives the same losses', async (t) => {
  const model = await teacher();
  const run = async () => {
    // The student's initial weights come from the RNG too.
    fm.manualSeed(1);
    const student = fm.createMLP({ dim: 2, hidden: [16, 16] });
    try {
      const r = await fm.reflow({ teacher: model, student, shape: [2], pairs: 300, steps: 10, ema: false, progress: false, seed: 5, initFromTeacher: false });
      return r.phases[0].train.losses;
    } finally {
      student.dispose();
    }
  };
  t.deepEqual(await run(), await run());
  model.dispose();
});

test.serial('a teacher trained from N(0, σ_0²·I) is solved from σ_0·z, and the student learns from z ~ N(0, I)', async (t) => {
  // The zero field's flow is the identity, so the pairs are (z, σ_0·z) in closed form: the
  // distilled one-step map is x ↦ σ_0·x and its samples from N(0, I) have std σ_0.
  const sigma0 = 3;
  let seenStd = NaN;
  const teacher = (x: fm.Tensor): fm.Tensor => {
    if (Number.isNaN(seenStd)) seenStd = x.std().item() as number;
    return fm.zerosLike(x);
  };
  fm.manualSeed(3);
  const student = fm.createMLP({ dim: 2, hidden: [32, 32] });
  await fm.reflow({ teacher, student, shape: [2], teacherPriorStd: sigma0, pairs: 2000, rounds: 0, distill: true, steps: 400, ema: false, progress: false });
  t.true(Math.abs(seenStd - sigma0) < 0.15, `the teacher's first input has std ${seenStd}`);
  student.eval();
  fm.manualSeed(4);
  const std = fm.tidy(() => fm.sample(student, { x0: fm.randn([2000, 2]), method: 'euler', steps: 1 }).samples.std().item() as number);
  t.true(Math.abs(std - sigma0) < 0.3, `one-step samples have std ${std}, expected ${sigma0}`);
  student.dispose();
});

test('reflow refuses options that train nothing or do not fit', async (t) => {
  const model = fm.createMLP({ dim: 2, hidden: [8] });
  await t.throwsAsync(fm.reflow({ teacher: model, student: model, shape: [2], steps: 1, rounds: 0 }), { message: /at least one round/ });
  await t.throwsAsync(fm.reflow({ teacher: model, student: model, shape: [2], steps: 1, pairs: 10, batchSize: 20 }), { message: /batchSize/ });
  await t.throwsAsync(fm.reflow({ teacher: model, student: model, shape: [2], steps: 1, pairs: 10, batchSize: 5, source: () => fm.randn([3, 2]) }), { message: /source\(10\)/ });
  await t.throwsAsync(fm.reflow({ teacher: model, student: model, shape: [2], steps: 1, pairs: 10, batchSize: 5, source: (n) => fm.randn([n, 2]), teacherPriorStd: 2 }), { instanceOf: fm.ArgumentError, message: /either source or teacherPriorStd/ });
  for (const bad of [0, -1, Number.NaN, Infinity]) {
    await t.throwsAsync(fm.reflow({ teacher: model, student: model, shape: [2], steps: 1, pairs: 10, batchSize: 5, teacherPriorStd: bad }), { message: /teacherPriorStd/ });
  }
  model.dispose();
});

test.serial('flowmatch reflow --run writes a student run that sample and eval read', async (t) => {
  const teacherDir = path.join(tmp, 'teacher');
  const studentDir = path.join(tmp, 'student');
  const trained = await cli('train', '--dataset', 'moons', '--hidden', '16,16', '--steps', '20', '--batch-size', '64', '--coupling', 'exact-ot', '--out', teacherDir, '--preview-samples', '0', '--json');
  t.is(trained.code, 0, trained.stderr);
  t.is(JSON.parse(fs.readFileSync(path.join(teacherDir, 'config.json'), 'utf8')).coupling, 'exact-ot');
  const r = await cli('reflow', '--run', teacherDir, '--out', studentDir, '--pairs', '256', '--steps', '10', '--distill', '--distill-steps', '5', '--json');
  t.is(r.code, 0, r.stderr);
  const record = JSON.parse(r.stdout);
  t.deepEqual(record.phases.map((p: { phase: string; steps: number }) => [p.phase, p.steps]), [['reflow', 10], ['distill', 5]]);
  const config = JSON.parse(fs.readFileSync(path.join(studentDir, 'config.json'), 'utf8'));
  t.like(config, { dataset: 'moons', path: 'condot', hidden: [16, 16] });
  t.is(config.coupling, undefined);
  t.true(fs.existsSync(path.join(studentDir, 'reflow.json')));
  const evaluated = await cli('eval', '--run', studentDir, '--n', '100', '--json');
  t.is(evaluated.code, 0, evaluated.stderr);
  const metrics = JSON.parse(evaluated.stdout).metrics;
  t.true(Number.isFinite(metrics.straightness) && metrics.straightness >= 0);
  t.true(Number.isFinite(metrics.curvature));
  t.is(record.teacherPriorStd, 1);
  const again = await cli('reflow', '--run', teacherDir, '--out', studentDir);
  t.is(again.code, 2);
  t.regex(again.stderr, /already holds a run/);
});

test.serial('flowmatch reflow of a VE run solves the teacher from its N(0, σ_max²·I) source', async (t) => {
  const teacherDir = path.join(tmp, 've-teacher');
  const studentDir = path.join(tmp, 've-student');
  const trained = await cli('train', '--dataset', 'moons', '--hidden', '16', '--steps', '5', '--batch-size', '32', '--path', 've', '--sigma-max', '20', '--out', teacherDir, '--preview-samples', '0', '--json');
  t.is(trained.code, 0, trained.stderr);
  const r = await cli('reflow', '--run', teacherDir, '--out', studentDir, '--pairs', '64', '--steps', '2', '--json');
  t.is(r.code, 0, r.stderr);
  // The reversed VE path's σ_t = σ_min·(σ_max/σ_min)^(1−t) is σ_max at t = 0, up to rounding.
  t.true(Math.abs(JSON.parse(r.stdout).teacherPriorStd - 20) < 1e-9, r.stdout);
});
