/**
 * `flowmatch reflow --run DIR`: rectifies a trained run (Liu et al. 2022). The run's model
 * solves its ODE from its own source noise, N(0, σ_0²·I) with σ_0 its path's priorStd
 * (dopri5), into pairs, and a student of the same architecture,
 * started from its weights, is trained on the straight interpolation between them: a new
 * run folder whose config.json is the teacher's spec with the straight path (condot), so
 * `sample`, `eval` and `nll` read it like any run; reflow.json records how it was made.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { reflow } from '../train/reflow';
import { CHECKPOINT_FILE } from '../train/run-folder';
import { writeFileAtomicSync } from '../io/atomic-write';
import { manualSeed } from '../runtime';
import { UsageError, parseArgs, usage, type OptionTable } from '../run/options';
import { buildModel, openRun, type RunLocation } from '../run/run-model';
import { sampleShape, type RunSpec } from '../run/run-spec';
import { printResult } from './output';

const OPTIONS: OptionTable = {
  run: { type: 'string', help: 'the teacher: a run folder written by `flowmatch train` (or reflow)' },
  out: { type: 'string', help: 'folder of the student run', default: '<run>-reflow' },
  pairs: { type: 'int', min: 1, help: 'noise–sample pairs generated per round by dopri5', default: '10000' },
  steps: { type: 'int', min: 1, help: 'optimizer steps per round', default: 'the teacher run\'s steps' },
  rounds: { type: 'int', min: 0, help: 'reflow rounds k (the k-rectified flow)', default: '1' },
  distill: { type: 'bool', help: 'then distil for one-step sampling (training at t = 0 on pairs of the last flow)' },
  distillSteps: { type: 'int', min: 1, help: 'steps of the distillation', default: '--steps' },
  batchSize: { type: 'int', min: 1, help: 'batch size', default: 'the teacher run\'s' },
  lr: { type: 'number', min: 0, exclusiveMin: true, help: 'learning rate', default: 'the teacher run\'s' },
  rtol: { type: 'number', min: 0, exclusiveMin: true, help: 'dopri5 relative tolerance of the pair generation', default: '1e-5' },
  atol: { type: 'number', min: 0, exclusiveMin: true, help: 'dopri5 absolute tolerance of the pair generation', default: '1e-5' },
  seed: { type: 'int', min: 0, help: 'random seed', default: 'the teacher run\'s' },
  json: { type: 'bool', help: 'print the result as JSON on stdout' },
};

export const REFLOW_USAGE = usage('flowmatch reflow --run <folder> [options]', OPTIONS);

export const REFLOW_FILE = 'reflow.json';

export async function reflowCommand(argv: string[]): Promise<number> {
  const { values: o, help } = parseArgs(argv, OPTIONS);
  if (help) {
    process.stdout.write(REFLOW_USAGE);
    return 0;
  }
  if (o.run === undefined) throw new UsageError('--run <folder> is required: the trained run to rectify');
  const out = (o.out as string | undefined) ?? `${(o.run as string).replace(/[\\/]+$/, '')}-reflow`;
  if (fs.existsSync(path.join(out, CHECKPOINT_FILE))) throw new UsageError(`${out} already holds a run; choose another --out`);
  const rounds = (o.rounds as number | undefined) ?? 1;
  if (rounds === 0 && o.distill !== true) throw new UsageError('--rounds 0 needs --distill (otherwise nothing is trained)');
  const teacher = openRun(o as RunLocation);
  try {
    const { spec: teacherSpec } = teacher;
    if (teacherSpec.classes !== undefined || teacherSpec.superRes) {
      throw new UsageError('reflow generates pairs from unconditional noise: class-conditional and super-resolution runs are not supported');
    }
    const spec = studentSpec(teacherSpec, o);
    manualSeed(spec.seed);
    const student = buildModel(spec);
    try {
      const result = await reflow({
        teacher: teacher.model,
        student,
        shape: sampleShape(spec),
        // A VE teacher starts from N(0, σ_max²·I); the student learns from N(0, I).
        teacherPriorStd: teacher.path.priorStd,
        pairs: (o.pairs as number | undefined) ?? 10000,
        batchSize: spec.batchSize,
        rounds,
        distill: o.distill === true,
        distillSteps: o.distillSteps as number | undefined,
        rtol: o.rtol as number | undefined,
        atol: o.atol as number | undefined,
        steps: spec.steps,
        optimizer: { name: spec.optimizer, lr: spec.lr, weightDecay: spec.weightDecay },
        schedule: spec.schedule === 'constant' ? undefined : { name: spec.schedule, warmupSteps: spec.warmupSteps },
        clipGradNorm: spec.clipGradNorm,
        ema: spec.ema > 0 ? { decay: spec.ema } : false,
        seed: spec.seed,
        outDir: out,
        config: spec as unknown as Record<string, unknown>,
        onWarning: (message) => process.stderr.write(`flowmatch reflow: ${message}\n`),
      });
      const phases = result.phases.map((p) => ({ phase: p.phase, round: p.round, generationNfe: p.generationNfe, steps: p.train.step, finalLoss: p.train.finalLoss, seconds: p.train.seconds }));
      const record = { teacher: teacher.source, teacherPriorStd: teacher.path.priorStd, pairs: (o.pairs as number | undefined) ?? 10000, rounds, distill: o.distill === true, phases };
      writeFileAtomicSync(path.join(out, REFLOW_FILE), JSON.stringify(record, null, 2) + '\n');
      printResult(o.json === true, { out, ...record }, () =>
        [
          ...phases.map((p) => `${p.phase === 'reflow' ? `round ${p.round}` : 'distillation'}: pairs by dopri5 at ${p.generationNfe.toFixed(0)} NFE, ${p.steps} steps in ${p.seconds.toFixed(1)} s, final loss ${p.finalLoss.toFixed(4)}`),
          `student run folder: ${out}`,
        ].join('\n'),
      );
      return 0;
    } finally {
      student.dispose();
    }
  } finally {
    teacher.model.dispose();
  }
}

/** The teacher's spec, trained on the straight path with the independent coupling (the pairs are the coupling), with the flags' changes. */
function studentSpec(teacher: RunSpec, o: Record<string, unknown>): RunSpec {
  const { sigmaMin, sigmaMax, betaMin, betaMax, power, coupling, sinkhornReg, sinkhornIterations, ...rest } = teacher;
  return {
    ...rest,
    path: 'condot',
    steps: (o.steps as number | undefined) ?? teacher.steps,
    batchSize: (o.batchSize as number | undefined) ?? teacher.batchSize,
    lr: (o.lr as number | undefined) ?? teacher.lr,
    seed: (o.seed as number | undefined) ?? teacher.seed,
  };
}
