/**
 * One sampling request as a sampler takes it, checked field by field before anything
 * reaches the model: every bound a client could use to make the server do unbounded work
 * (n, steps, tolerances) is capped, and every value the model would choke on (labels out of
 * range, a low-resolution input of the wrong size, non-finite numbers) is refused with a
 * RequestError naming the field.
 */
import { describe } from '../validate';
import { METHOD_NAMES, isAdaptive, type OdeMethod } from '../solvers/methods';
import { RequestError } from './sampler-error';
import { seededRandom } from '../metrics/subsample';

export interface SampleRequest {
  /** Samples to draw (1 to the sampler's maxN). */
  n: number;
  /** Seeds this request's noise (0 to 2^53 − 1); drawn at random when omitted. Same seed, same bytes, whatever else shares the batch. */
  seed?: number;
  /** Default 'euler'. */
  method?: OdeMethod;
  /** Fixed-grid steps (1 to maxSteps), default 100. */
  steps?: number;
  /** Adaptive tolerances, default 1e-5 each; at least 1e-7 / 1e-9 (a bound on the work). */
  rtol?: number;
  atol?: number;
  /** One class label per sample (class-conditional runs; default uniform classes drawn from the seed). */
  labels?: number[];
  /** Classifier-free guidance weight w in [0, 100] (needs labels). */
  guidance?: number;
  /** Super-resolution runs: the low-resolution inputs, n × lowResShape numbers in [−1, 1], row-major. */
  lowRes?: ArrayLike<number>;
  /** Aborts the request (between model evaluations once it runs). */
  signal?: AbortSignal;
  /** Aborts it with ERR_TIMEOUT after this long (queueing included). */
  timeoutMs?: number;
}

/** What a sampler knows about its model, to check requests against. */
export interface ModelInfo {
  shape: number[];
  priorStd: number;
  numClasses: number | null;
  nullLabel: number | null;
  lowResShape: number[] | null;
}

export interface Limits {
  maxN: number;
  maxSteps: number;
}

/** A checked request: plain data, so it can cross to a worker thread. */
export interface CheckedRequest {
  n: number;
  seed: number;
  method: OdeMethod;
  steps: number;
  rtol: number;
  atol: number;
  labels: number[] | null;
  guidance: number;
  lowRes: Float32Array | null;
  /** Model rows one evaluation takes (2n with guidance). */
  rows: number;
}

const bad = (field: string, what: string, value: unknown): never => {
  throw new RequestError(field, `Expected ${what} for ${field} but received ${describe(value)}`);
};

function int(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) bad(field, `an integer from ${min} to ${max}`, value);
  return value as number;
}

function finite(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) bad(field, `a finite number from ${min} to ${max}`, value);
  return value as number;
}

export function checkRequest(req: SampleRequest, info: ModelInfo, limits: Limits, randomSeed: () => number): CheckedRequest {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) bad('request', 'a request object', req);
  const n = int(req.n, 'n', 1, limits.maxN);
  const seed = req.seed === undefined ? randomSeed() : int(req.seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
  const method = req.method ?? 'euler';
  if (!(METHOD_NAMES as readonly string[]).includes(method)) bad('method', `one of ${METHOD_NAMES.join(', ')}`, method);
  const adaptive = isAdaptive(method);
  if (adaptive && req.steps !== undefined) bad('steps', `no steps (method '${method}' is adaptive: give rtol / atol)`, req.steps);
  if (!adaptive && (req.rtol !== undefined || req.atol !== undefined)) bad(req.rtol !== undefined ? 'rtol' : 'atol', `no tolerance (method '${method}' has fixed steps: give steps)`, req.rtol ?? req.atol);
  const steps = req.steps === undefined ? 100 : int(req.steps, 'steps', 1, limits.maxSteps);
  const rtol = req.rtol === undefined ? 1e-5 : finite(req.rtol, 'rtol', 1e-7, 1);
  const atol = req.atol === undefined ? 1e-5 : finite(req.atol, 'atol', 1e-9, 1);
  let labels: number[] | null = null;
  if (req.labels !== undefined) {
    if (info.numClasses === null) bad('labels', 'no labels (this model is unconditional)', req.labels);
    if (!Array.isArray(req.labels) || req.labels.length !== n) bad('labels', `an array of ${n} labels (one per sample)`, req.labels);
    labels = req.labels.map((l, i) => int(l, `labels[${i}]`, 0, (info.numClasses as number) - 1));
  } else if (info.numClasses !== null) {
    // As `flowmatch sample` does: uniform classes, from the request's own seed.
    const random = seededRandom(seed);
    labels = Array.from({ length: n }, () => Math.floor(random() * (info.numClasses as number)));
  }
  const guidance = req.guidance === undefined ? 0 : finite(req.guidance, 'guidance', 0, 100);
  if (guidance !== 0 && info.nullLabel === null) bad('guidance', '0 (this model has no null label to guide against)', req.guidance);
  let lowRes: Float32Array | null = null;
  if (info.lowResShape !== null) {
    const per = info.lowResShape.reduce((a, b) => a * b, 1);
    const value = req.lowRes;
    if (value === undefined || value === null || typeof value !== 'object' || typeof (value as ArrayLike<number>).length !== 'number') {
      bad('lowRes', `${n} × [${info.lowResShape}] low-resolution values (this is a super-resolution model)`, value);
    }
    const list = value as ArrayLike<number>;
    if (list.length !== n * per) bad('lowRes', `${n * per} numbers (n × [${info.lowResShape}])`, `${list.length} numbers`);
    lowRes = new Float32Array(list.length);
    for (let i = 0; i < list.length; i++) lowRes[i] = finite(list[i], `lowRes[${i}]`, -1e6, 1e6);
  } else if (req.lowRes !== undefined) {
    bad('lowRes', 'no lowRes (this model takes no conditioning image)', req.lowRes);
  }
  return { n, seed, method, steps, rtol, atol, labels, guidance, lowRes, rows: guidance === 0 ? n : 2 * n };
}
