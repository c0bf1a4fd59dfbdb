/**
 * Reflow (Liu et al. 2022, "Flow Straight and Fast"): solve a trained flow's ODE from noise
 * to get pairs (x0, x1 = Z_1(x0)), then train a student by CFM on the straight interpolation
 * x_t = (1 − t)·x0 + t·x1 between each pair. The student's flow transports the same
 * distributions along straighter paths; repeating it gives the k-rectified flow, and
 * training on t = 0 alone (distillation) gives a one-step generator x1 ≈ x0 + v(x0, 0).
 */
import { Tensor } from '../tensor';
import { randn, zeros } from '../creation';
import { cat, stack } from '../functional';
import { tidy, dispose, keep } from '../scope';
import { manualSeed } from '../runtime';
import { ArgumentError } from '../errors';
import { checkBool, checkFunction, checkInt, checkNumber, checkOptions, checkShape } from '../validate';
import type { Module } from '../nn/module';
import { AffinePath } from '../paths/affine-path';
import { OTScheduler } from '../paths/schedulers';
import { sample } from '../sample/sample';
import { checkModel, type VelocityModel } from '../nn/velocity-model';
import { DataLoader } from '../data/loader';
import type { Device } from '../device';
import { train, type TrainResult } from './trainer';
import type { TrainOptions } from './train-options';

export interface ReflowOptions extends Omit<TrainOptions, 'model' | 'path' | 'data' | 'coupling' | 'timeSampler' | 'resume'> {
  /** The flow whose ODE makes the pairs of the first round. */
  teacher: VelocityModel;
  /** The network trained on the pairs (it becomes the teacher of later rounds). */
  student: Module;
  /** Shape of one sample, e.g. [2] or [1, 28, 28]. */
  shape: number[];
  /** Draws n starting points of the ODE (default N(0, I) of `shape`): the source the teacher was trained from. */
  source?: (n: number) => Tensor;
  /**
   * σ_0 of a teacher trained from N(0, σ_0²·I) (its path's priorStd: σ_max for the reversed
   * VE diffusion; default 1); not with `source`. The first round's pairs are (z, Z_1(σ_0·z))
   * with z ~ N(0, I): a coupling of N(0, I) and the data, so the student samples from
   * N(0, I) like every straight-path run.
   */
  teacherPriorStd?: number;
  /** Pairs generated per round (default 10000). */
  pairs?: number;
  batchSize?: number;
  /** Reflow rounds: k for the k-rectified flow (default 1). */
  rounds?: number;
  /** Then distil: pairs from the last flow, training at t = 0 only, for one-step sampling. */
  distill?: boolean;
  /** Steps of the distillation phase (default `steps`). */
  distillSteps?: number;
  /** Start the student from the teacher's weights (Liu et al.; default true when the teacher is a Module like the student). */
  initFromTeacher?: boolean;
  /** dopri5 tolerances of the pair generation (default 1e-5 each) and its batch size (default 1000). */
  rtol?: number;
  atol?: number;
  generationBatchSize?: number;
  /** Told after each phase. */
  onPhase?: (info: ReflowPhase) => void | Promise<void>;
}

export interface ReflowPhase {
  phase: 'reflow' | 'distill';
  /** 1-based round (the distillation phase has rounds + 1). */
  round: number;
  /** Mean dopri5 NFE per generation batch of this phase's pairs. */
  generationNfe: number;
  train: TrainResult;
}

export interface ReflowResult {
  phases: ReflowPhase[];
}

/** The straight interpolation x_t = (1 − t)·x0 + t·x1 (σ_min = 0) that reflow trains on. */
export function straightPath(): AffinePath {
  return new AffinePath(new OTScheduler({ sigmaMin: 0 }));
}

/** Reflow rounds (and an optional distillation) from `teacher` into `student`, which is trained in place. */
export async function reflow(options: ReflowOptions): Promise<ReflowResult> {
  checkOptions(options, 'options');
  const { teacher, student, shape: given, source: drawSource, teacherPriorStd, pairs: p, batchSize: b, rounds: r, distill, distillSteps, initFromTeacher, rtol, atol, generationBatchSize, onPhase, outDir, ...trainRest } = options;
  checkModel(teacher);
  if (student === null || typeof student !== 'object' || typeof (student as Module).parameters !== 'function') throw new ArgumentError('Expected a flowmatch Module for student but received ' + typeof student);
  const shape = checkShape(given, 'shape');
  const pairs = checkInt(p ?? 10000, 'pairs', 1);
  const batchSize = checkInt(b ?? 256, 'batchSize', 1, pairs);
  const rounds = checkInt(r ?? 1, 'rounds', 0);
  const doDistill = checkBool(distill ?? false, 'distill');
  if (rounds === 0 && !doDistill) throw new ArgumentError('Expected at least one round or distill: true but received rounds 0 without distillation');
  const tol = { rtol: checkNumber(rtol ?? 1e-5, 'rtol', { positive: true }), atol: checkNumber(atol ?? 1e-5, 'atol', { positive: true }) };
  const chunk = checkInt(generationBatchSize ?? 1000, 'generationBatchSize', 1);
  const seed = checkInt(trainRest.seed ?? 0, 'seed', 0);
  if (drawSource !== undefined) checkFunction(drawSource, 'source');
  if (drawSource !== undefined && teacherPriorStd !== undefined) throw new ArgumentError('Expected either source or teacherPriorStd but received both');
  const teacherScale = checkNumber(teacherPriorStd ?? 1, 'teacherPriorStd', { positive: true, finite: true });
  const draw = (size: number): Tensor => {
    if (drawSource === undefined) return randn([size, ...shape]);
    const x0: unknown = drawSource(size);
    if (!(x0 instanceof Tensor) || x0.shape.length !== shape.length + 1 || x0.shape[0] !== size || shape.some((d, i) => x0.shape[i + 1] !== d)) {
      throw new ArgumentError(`Expected a Tensor of shape [${size}, ${shape}] from source(${size}) but received ${x0 instanceof Tensor ? `shape [${x0.shape}]` : typeof x0}`);
    }
    return x0;
  };
  const teacherModule = typeof teacher === 'object' && typeof (teacher as Module).stateDict === 'function' ? (teacher as Module) : undefined;
  if (checkBool(initFromTeacher ?? teacherModule !== undefined, 'initFromTeacher') && teacherModule !== undefined && teacherModule !== student) {
    const weights = teacherModule.stateDict();
    try {
      student.loadStateDict(weights);
    } finally {
      dispose(weights);
    }
  }

  const phases: ReflowPhase[] = [];
  const total = rounds + (doDistill ? 1 : 0);
  for (let round = 1; round <= total; round++) {
    const distilling = round > rounds;
    const source: VelocityModel = round === 1 ? teacher : student;
    // Each phase's pairs come from their own seed, so a rerun draws the same noise.
    manualSeed(seed + 104729 * round);
    // Only the teacher starts from σ_0·z; the student's own flow starts from z.
    const { pairs: data, nfe } = generatePairs(source, pairs, draw, round === 1 ? teacherScale : 1, chunk, tol);
    try {
      const loader = new DataLoader({ x: data }, { batchSize, seed: seed + round });
      const last = round === total;
      const result = await train({
        ...trainRest,
        model: student,
        path: straightPath(),
        steps: distilling ? checkInt(distillSteps ?? trainRest.steps, 'distillSteps', 1) : trainRest.steps,
        data: (step) => {
          const batch = loader.batch(step);
          return { x: batch.x.select(1, 1), x0: batch.x.select(1, 0) };
        },
        // Distillation regresses v(x0, 0) onto x1 − x0: one Euler step then lands on x1.
        ...(distilling ? { timeSampler: (n: number, device: Device) => zeros([n], { device }) } : {}),
        ...(last && outDir !== undefined ? { outDir } : {}),
      });
      const phase: ReflowPhase = { phase: distilling ? 'distill' : 'reflow', round, generationNfe: nfe, train: result };
      phases.push(phase);
      await onPhase?.(phase);
      if (result.stopped) break;
    } finally {
      data.dispose();
    }
  }
  return { phases };
}

/**
 * n pairs [n, 2, …shape] (z then x1 = Z_1(scale·z)) from the flow's dopri5 solves, and the
 * mean NFE per batch.
 */
function generatePairs(model: VelocityModel, n: number, draw: (size: number) => Tensor, scale: number, chunk: number, tol: { rtol: number; atol: number }): { pairs: Tensor; nfe: number } {
  const wasTraining = typeof model === 'object' && 'training' in model ? (model as unknown as { training: boolean }).training : false;
  (model as Partial<Module>).eval?.();
  try {
    const parts: Tensor[] = [];
    let nfe = 0;
    let batches = 0;
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start);
      parts.push(
        keep(
          tidy(() => {
            const x0 = draw(size);
            const solved = sample(model, { x0: scale === 1 ? x0 : x0.mul(scale), method: 'dopri5', ...tol });
            nfe += solved.nfe;
            return stack([x0, solved.samples], 1);
          }),
        ),
      );
      batches += 1;
    }
    const pairs = parts.length === 1 ? parts[0] : tidy(() => cat(parts, 0));
    if (parts.length > 1) dispose(parts);
    return { pairs, nfe: nfe / batches };
  } finally {
    if (wasTraining) (model as Module).train();
  }
}
