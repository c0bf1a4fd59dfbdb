/**
 * The random-argument fuzz: call i of seed s picks a public function and fills each of its
 * argument slots either with a plausible value of the slot's kind (so validation is passed
 * and deeper code runs) or with one from a pool of hostile values. Every call is drawn from
 * its own generator seeded by (s, i), so any single call reproduces alone.
 */
import * as fm from '../../lib/index';
import { describe as show } from '../../lib/validate';
import type { Fixtures } from './fixtures';
import { seededRandom } from '../../lib/metrics/subsample';

/** lib/metrics/subsample.ts's seeded generator, over a seed mixed from (seed, index). */
export function callRandom(seed: number, index: number): () => number {
  return seededRandom((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0);
}

/**
 * Argument kinds: T tensor, N number, I integer, S shape, D dim(s), O options object, F function,
 * P file path, L list of tensors, X anything; and the receivers of method calls, which are never
 * hostile values (calling a method on a number tests JavaScript, not flowmatch): R a tensor, live
 * or released or fake, M the model.
 */
type Kind = 'T' | 'N' | 'I' | 'S' | 'D' | 'O' | 'F' | 'P' | 'L' | 'X' | 'R' | 'M';
const RECEIVERS: readonly Kind[] = ['R', 'M'];
type Entry = [name: string, kinds: Kind[], call: (...args: any[]) => unknown];

const OPTION_KEYS = ['dtype', 'device', 'requiresGrad', 'shape', 'n', 'steps', 'method', 'rtol', 'atol', 'options', 'step_size', 'sigmaMin', 'sigmaMax', 'betaMin', 'lr', 'betas', 'decay', 'total', 'enabled', 'nrow', 'scale', 'p', 'maxPoints', 'seed', 'dataRange', 'reduction', 'size', 'scaleFactor', 'mode', 'keepdim', 'noise', 'min', 'max', 'mean', 'std', 'totalSteps', 'warmupSteps', 'strict', 'batchSize', 'dim', 'width', 'depth'];

const ENTRIES: Entry[] = [
  // creation
  ['zeros', ['S', 'O'], (s, o) => fm.zeros(s, o)],
  ['ones', ['S', 'O'], (s, o) => fm.ones(s, o)],
  ['empty', ['S', 'O'], (s, o) => fm.empty(s, o)],
  ['rand', ['S', 'O'], (s, o) => fm.rand(s, o)],
  ['randn', ['S', 'O'], (s, o) => fm.randn(s, o)],
  ['full', ['S', 'N', 'O'], (s, v, o) => fm.full(s, v, o)],
  ['eye', ['I', 'I', 'O'], (n, m, o) => fm.eye(n, m, o)],
  ['arange', ['N', 'N', 'N', 'O'], (a, b, c, o) => fm.arange(a, b, c, o)],
  ['linspace', ['N', 'N', 'I', 'O'], (a, b, c, o) => fm.linspace(a, b, c, o)],
  ['randint', ['I', 'I', 'S', 'O'], (a, b, s, o) => fm.randint(a, b, s, o)],
  ['randperm', ['I', 'O'], (n, o) => fm.randperm(n, o)],
  ['tensor', ['X', 'O'], (d, o) => fm.tensor(d, o)],
  ['zerosLike', ['T', 'O'], (t, o) => fm.zerosLike(t, o)],
  ['onesLike', ['T', 'O'], (t, o) => fm.onesLike(t, o)],
  ['randnLike', ['T', 'O'], (t, o) => fm.randnLike(t, o)],
  ['fullLike', ['T', 'N', 'O'], (t, v, o) => fm.fullLike(t, v, o)],
  ['randintLike', ['T', 'I', 'I', 'O'], (t, a, b, o) => fm.randintLike(t, a, b, o)],
  // functional
  ['add', ['T', 'T'], (a, b) => fm.add(a, b)],
  ['mul', ['T', 'N'], (a, b) => fm.mul(a, b)],
  ['pow', ['T', 'X'], (a, b) => fm.pow(a, b)],
  ['where', ['T', 'T', 'N'], (c, a, b) => fm.where(c, a, b)],
  ['cat', ['L', 'I'], (l, d) => fm.cat(l, d)],
  ['stack', ['L', 'I'], (l, d) => fm.stack(l, d)],
  ['einsum', ['X', 'T', 'T'], (e, a, b) => fm.einsum(e, a, b)],
  ['linear', ['T', 'T', 'T'], (x, w, b) => fm.linear(x, w, b)],
  ['softmax', ['T', 'I'], (x, d) => fm.softmax(x, d)],
  ['logSoftmax', ['T', 'I'], (x, d) => fm.logSoftmax(x, d)],
  ['dropout', ['T', 'N', 'X'], (x, p, tr) => fm.dropout(x, p, tr)],
  ['mseLoss', ['T', 'T', 'X'], (a, b, r) => fm.mseLoss(a, b, r)],
  ['crossEntropy', ['T', 'T'], (a, b) => fm.crossEntropy(a, b)],
  ['layerNorm', ['T', 'S', 'T', 'T', 'N'], (x, s, w, b, e) => fm.layerNorm(x, s, w, b, e)],
  ['groupNorm', ['T', 'I', 'T', 'T'], (x, g, w, b) => fm.groupNorm(x, g, w, b)],
  ['conv2d', ['T', 'T', 'T', 'O'], (x, w, b, o) => fm.conv2d(x, w, b, o)],
  ['avgPool2d', ['T', 'I', 'I'], (x, k, s) => fm.avgPool2d(x, k, s)],
  ['interpolate', ['T', 'O'], (x, o) => fm.interpolate(x, o)],
  ['matmul', ['T', 'T'], (a, b) => fm.matmul(a, b)],
  ['eigh', ['T'], (a) => fm.eigh(a)],
  ['slogdet', ['T'], (a) => fm.slogdet(a)],
  // tensor methods
  ['Tensor.reshape', ['R', 'S'], (t, s) => t.reshape(s)],
  ['Tensor.view', ['R', 'S'], (t, s) => t.view(s)],
  ['Tensor.expand', ['R', 'S'], (t, s) => t.expand(s)],
  ['Tensor.repeat', ['R', 'S'], (t, s) => t.repeat(s)],
  ['Tensor.permute', ['R', 'D'], (t, d) => t.permute(d)],
  ['Tensor.flip', ['R', 'D'], (t, d) => t.flip(d)],
  ['Tensor.sum', ['R', 'D', 'O'], (t, d, o) => t.sum(d, o)],
  ['Tensor.mean', ['R', 'D', 'O'], (t, d, o) => t.mean(d, o)],
  ['Tensor.amax', ['R', 'D', 'O'], (t, d, o) => t.amax(d, o)],
  ['Tensor.logsumexp', ['R', 'D'], (t, d) => t.logsumexp(d)],
  ['Tensor.var', ['R', 'D', 'O'], (t, d, o) => t.var(d, o)],
  ['Tensor.norm', ['R', 'N', 'D'], (t, p, d) => t.norm(p, d)],
  ['Tensor.max', ['R', 'I', 'O'], (t, d, o) => t.max(d, o)],
  ['Tensor.argmax', ['R', 'I'], (t, d) => t.argmax(d)],
  ['Tensor.squeeze', ['R', 'D'], (t, d) => t.squeeze(d)],
  ['Tensor.unsqueeze', ['R', 'I'], (t, d) => t.unsqueeze(d)],
  ['Tensor.transpose', ['R', 'I', 'I'], (t, a, b) => t.transpose(a, b)],
  ['Tensor.flatten', ['R', 'I', 'I'], (t, a, b) => t.flatten(a, b)],
  ['Tensor.narrow', ['R', 'I', 'I', 'I'], (t, d, s, l) => t.narrow(d, s, l)],
  ['Tensor.slice', ['R', 'I', 'I', 'I', 'I'], (t, d, s, e, st) => t.slice(d, s, e, st)],
  ['Tensor.select', ['R', 'I', 'I'], (t, d, i) => t.select(d, i)],
  ['Tensor.split', ['R', 'X', 'I'], (t, s, d) => t.split(s, d)],
  ['Tensor.chunk', ['R', 'I', 'I'], (t, c, d) => t.chunk(c, d)],
  ['Tensor.unbind', ['R', 'I'], (t, d) => t.unbind(d)],
  ['Tensor.clamp', ['R', 'X', 'X'], (t, a, b) => t.clamp(a, b)],
  ['Tensor.add', ['R', 'X', 'O'], (t, o, op) => t.add(o, op)],
  ['Tensor.mul', ['R', 'X'], (t, o) => t.mul(o)],
  ['Tensor.div', ['R', 'X'], (t, o) => t.div(o)],
  ['Tensor.matmul', ['R', 'T'], (a, b) => a.matmul(b)],
  ['Tensor.to', ['R', 'X'], (t, x) => t.to(x)],
  ['Tensor.gather', ['R', 'I', 'T'], (t, d, i) => t.gather(d, i)],
  ['Tensor.indexSelect', ['R', 'I', 'T'], (t, d, i) => t.indexSelect(d, i)],
  ['Tensor.index', ['R', 'T'], (t, i) => t.index(i)],
  ['Tensor.maskedFill', ['R', 'T', 'X'], (t, m, v) => t.maskedFill(m, v)],
  ['Tensor.topk', ['R', 'I', 'I'], (t, k, d) => t.topk(k, d)],
  ['Tensor.sort', ['R', 'I', 'X'], (t, d, s) => t.sort(d, s)],
  ['Tensor.softplus', ['R', 'N', 'N'], (t, b, th) => t.softplus(b, th)],
  ['Tensor.gelu', ['R', 'X'], (t, a) => t.gelu(a)],
  ['Tensor.allclose', ['R', 'T', 'N', 'N'], (a, b, r, at) => a.allclose(b, r, at)],
  ['Tensor.item', ['R'], (t) => t.item()],
  ['Tensor.toArray', ['R'], (t) => t.toArray()],
  ['Tensor.diag', ['R', 'I'], (t, d) => t.diag(d)],
  ['Tensor.tril', ['R', 'I'], (t, d) => t.tril(d)],
  ['Tensor.cumsum', ['R', 'I'], (t, d) => t.cumsum(d)],
  // runtime
  ['manualSeed', ['X'], (s) => fm.manualSeed(s)],
  ['setNumThreads', ['X'], (n) => fm.setNumThreads(n)],
  ['tidy', ['F'], (f) => fm.tidy(f)],
  ['noGrad', ['F'], (f) => fm.noGrad(f)],
  // paths and schedulers
  ['new OTScheduler', ['O'], (o) => new fm.OTScheduler(o)],
  ['new PolynomialScheduler', ['N'], (n) => new fm.PolynomialScheduler(n)],
  ['new VPScheduler', ['O'], (o) => new fm.VPScheduler(o)],
  ['new VEScheduler', ['O'], (o) => new fm.VEScheduler(o)],
  ['OTScheduler.coefficients', ['T'], (t) => new fm.OTScheduler().coefficients(t)],
  ['CosineScheduler.coefficients', ['T'], (t) => new fm.CosineScheduler().coefficients(t)],
  ['VPScheduler.coefficients', ['T'], (t) => new fm.VPScheduler().coefficients(t)],
  ['VEScheduler.coefficients', ['T'], (t) => new fm.VEScheduler().coefficients(t)],
  ['LinearVPScheduler.coefficients', ['T'], (t) => new fm.LinearVPScheduler().coefficients(t)],
  ['PolynomialScheduler.coefficients', ['T'], (t) => new fm.PolynomialScheduler(2).coefficients(t)],
  ['otPath', ['O'], (o) => fm.otPath(o)],
  ['vpDiffusionPath', ['O'], (o) => fm.vpDiffusionPath(o)],
  ['otPath().sample', ['T', 'T', 'X'], (a, b, t) => fm.otPath().sample(a, b, t)],
  ['otPath().conditionalVelocity', ['T', 'T', 'X'], (a, b, t) => fm.otPath().conditionalVelocity(a, b, t)],
  ['vpDiffusionPath().x1ToVelocity', ['T', 'T', 'X'], (a, b, t) => fm.vpDiffusionPath().x1ToVelocity(a, b, t)],
  ['uniformTime', ['O', 'I'], (o, n) => fm.uniformTime(o)(n, 'cpu')],
  ['logitNormalTime', ['O', 'I'], (o, n) => fm.logitNormalTime(o)(n, 'cpu')],
  // data
  ['checkerboard', ['I', 'O'], (n, o) => fm.checkerboard(n, o)],
  ['moons', ['I', 'O'], (n, o) => fm.moons(n, o)],
  ['pinwheel', ['I', 'O'], (n, o) => fm.pinwheel(n, o)],
  ['sampleToy', ['X', 'I', 'O'], (name, n, o) => fm.sampleToy(name, n, o)],
  ['insideCheckerboard', ['T'], (t) => fm.insideCheckerboard(t)],
  ['seededPermutation', ['I', 'X', 'X'], (n, s, st) => fm.seededPermutation(n, s, st)],
  ['toSignedUnit', ['T'], (t) => fm.toSignedUnit(t)],
  ['new DataLoader', ['X', 'O'], (d, o) => new fm.DataLoader(d, o)],
  ['new GaussianMixture', ['X'], (s) => new fm.GaussianMixture(s)],
  // kernels
  ['linearCombination', ['X', 'L', 'X'], (b, t, c) => fm.linearCombination(b, t, c)],
  ['errorRatio', ['T', 'T', 'T', 'N', 'N'], (e, a, b, r, at) => fm.errorRatio(e, a, b, r, at)],
  ['rmsNorm', ['T'], (t) => fm.rmsNorm(t)],
  ['allFinite', ['T'], (t) => fm.allFinite(t)],
  // solvers (cheap states)
  ['odeint', ['F', 'T', 'X', 'O'], (f, y, t, o) => fm.odeint(f, y, t, o)],
  // nn and optim
  ['createMLP', ['O'], (c) => fm.createMLP(c)],
  ['Module.forward', ['M', 'T', 'T', 'X'], (m, x, t, c) => m.forward(x, t, c)],
  ['Module.loadStateDict', ['M', 'X', 'O'], (m, d, o) => m.loadStateDict(d, o)],
  ['new Adam', ['X', 'O'], (p, o) => new fm.Adam(p, o)],
  ['new SGD', ['X', 'O'], (p, o) => new fm.SGD(p, o)],
  ['new EMA', ['X', 'O'], (p, o) => new fm.EMA(p, o)],
  ['constantLR', ['X'], (lr) => fm.constantLR(lr)],
  ['linearWarmup', ['X', 'X'], (lr, w) => fm.linearWarmup(lr, w)],
  ['cosineDecay', ['O'], (o) => fm.cosineDecay(o)(3)],
  // io
  ['serializeSafetensors', ['X', 'X'], (t, m) => fm.serializeSafetensors(t, m)],
  ['deserializeSafetensors', ['X'], (b) => fm.deserializeSafetensors(b)],
  ['parseSafetensorsHeader', ['X', 'X'], (b, f) => fm.parseSafetensorsHeader(b, f)],
  ['readSafetensorsHeader', ['P'], (p) => fm.readSafetensorsHeader(p)],
  ['readMetrics', ['P'], (p) => fm.readMetrics(p)],
  ['readIdx', ['P'], (p) => fm.readIdx(p)],
  ['encodePng', ['O'], (i) => fm.encodePng(i)],
  ['decodePng', ['X'], (b) => fm.decodePng(b)],
  // metrics and plot
  ['psnr', ['T', 'T', 'O'], (a, b, o) => fm.psnr(a, b, o)],
  ['wasserstein', ['T', 'T', 'O'], (a, b, o) => fm.wasserstein(a, b, o)],
  ['mmd', ['T', 'T', 'O'], (a, b, o) => fm.mmd(a, b, o)],
  ['gaussianStats', ['T'], (t) => fm.gaussianStats(t)],
  ['solveAssignment', ['X', 'I'], (c, n) => fm.solveAssignment(c, n)],
  ['imageGrid', ['T', 'O'], (t, o) => fm.imageGrid(t, o)],
  ['scatterPlot', ['X', 'O'], (t, o) => fm.scatterPlot(t, { width: 64, height: 64, ...(o !== null && typeof o === 'object' ? o : {}) })],
  ['lineChart', ['X', 'O'], (s, o) => fm.lineChart(s, o)],
  ['viridis', ['X'], (v) => fm.viridis(v)],
  ['seriesColor', ['X'], (v) => fm.seriesColor(v)],
  ['new ProgressBar', ['O'], (o) => new fm.ProgressBar(o)],
  // sampling, likelihood and losses, on the small model with few steps (fuzzed options merged in)
  ['sample', ['M', 'O'], (m, o) => fm.sample(m, withDefaults({ n: 2, shape: [2], steps: 2 }, o))],
  ['sampleAsync', ['M', 'O'], (m, o) => fm.sampleAsync(m, withDefaults({ n: 2, shape: [2], steps: 2 }, o))],
  ['likelihood', ['M', 'T', 'O'], (m, x, o) => fm.likelihood(m, x, withDefaults({ method: 'euler', steps: 2 }, o))],
  ['callModel', ['M', 'T', 'T', 'X'], (m, x, t, c) => fm.callModel(m, x, t, c)],
  ['Module.forwardAsync', ['M', 'T', 'T'], (m, x, t) => m.forwardAsync(x, t)],
  ['cfmLoss', ['M', 'T', 'O'], (m, x, o) => fm.cfmLoss(m, fm.otPath(), x, o)],
  ['cfmLoss with any path', ['M', 'X', 'T'], (m, p, x) => fm.cfmLoss(m, p, x)],
  ['exactDivergence', ['T', 'T'], (v, x) => fm.exactDivergence(v, x)],
  ['hutchinsonDivergence', ['T', 'T', 'L'], (v, x, p) => fm.hutchinsonDivergence(v, x, p)],
  ['GaussianMixtureMarginal.velocity', ['T', 'X'], (x, t) => new fm.GaussianMixtureMarginal(fm.otPath(), fm.EIGHT_GAUSSIANS).velocity(x, t)],
  ['odeintAsync', ['F', 'T', 'X', 'O'], (f, y, t, o) => fm.odeintAsync(f, y, t, o)],
];

/** `defaults` overridden by a fuzzed options object; anything that is not a plain object as it is. */
function withDefaults(defaults: Record<string, unknown>, options: unknown): any {
  return options !== null && typeof options === 'object' && !Array.isArray(options) ? Object.assign({}, defaults, options) : options;
}

/** Plausible values per kind, so that validation often passes and the code behind it runs. */
class ValuePool {
  readonly tensors: fm.Tensor[];
  readonly model: fm.Module;
  constructor(private readonly fx: Fixtures) {
    const keep = <T>(v: T): T => fx.keepForever(v);
    this.tensors = [
      keep(fm.randn([4, 2])),
      keep(fm.randn([2, 2], { dtype: 'float64' })),
      keep(fm.randint(0, 2, [4])),
      keep(fm.rand([1, 1, 4, 4])),
      keep(fm.tensor(0.5)),
      keep(fm.tensor([true, false, true, false])),
      keep(fm.zeros([0, 2])),
      keep(fm.randn([4, 2]).requiresGrad_()),
      keep(fm.rand([4])),
    ];
    this.model = keep(fm.createMLP({ dim: 2, width: 4, depth: 1 }));
    // The module makes its parameter handles on first use and keeps them: made now, they are
    // part of every call's baseline rather than a leak of whichever call came first.
    this.model.parameters();
  }

  hostile(r: () => number): unknown {
    const fx = this.fx;
    const choices: (() => unknown)[] = [
      () => null, () => undefined, () => NaN, () => Infinity, () => -Infinity, () => -0, () => 0, () => -1,
      () => 1e300, () => 2 ** 53, () => 2 ** 62, () => -(2 ** 31), () => 0.5, () => 1e-300, () => '', () => 'abc', () => '2',
      () => true, () => false, () => [], () => [null], () => [NaN], () => [-1], () => [0.5, 1], () => ({}), () => Object.create(null),
      () => fx.hostileProxy(), () => fx.throwingGetter(OPTION_KEYS[Math.floor(r() * OPTION_KEYS.length)]),
      () => fx.allocatingArray([0, 1]), () => fx.allocatingArray([2, -3]), () => Symbol('s'), () => 10n, () => () => undefined,
      () => fx.disposed(), () => fx.fromClosedScope(), () => fx.fakeTensor(Math.floor(r() * 64)), () => new Float32Array(3),
      () => new Uint16Array(2), () => new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), () => new Date(0), () => new Map([['a', 1]]),
      () => ({ length: 1e9 }), () => new Array(5), () => [[1, 2], [3]], () => fx.specialPaths()[Math.floor(r() * 8)],
      () => this.model, () => this.tensors[Math.floor(r() * this.tensors.length)],
    ];
    return choices[Math.floor(r() * choices.length)]();
  }

  valid(kind: Kind, r: () => number): unknown {
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
    switch (kind) {
      case 'T': return pick(this.tensors);
      case 'N': return pick([0, 1, 0.5, -1, 2, 1e-3, 3]);
      case 'I': return pick([0, 1, 2, 3, -1, 4]);
      case 'S': return pick([[2], [4, 2], [2, 2], [], [0], [8], [2, -1], [1, 1, 4, 4]]);
      case 'D': return pick([0, -1, [0], [1, 0], [0, 1], 1]);
      case 'O': {
        const o: Record<string, unknown> = {};
        const n = Math.floor(r() * 3);
        for (let k = 0; k < n; k++) o[pick(OPTION_KEYS)] = r() < 0.5 ? this.hostile(r) : pick([1, 2, 0.1, 'float64', 'cpu', true, [2], 'mean', 'euler']);
        return o;
      }
      case 'F': return pick<(...a: unknown[]) => unknown>([(_t, y) => y, () => fm.zeros([2]), (t) => t, () => undefined]);
      case 'P': return pick(this.fx.specialPaths());
      case 'L': return [pick(this.tensors), pick(this.tensors)];
      case 'M': return this.model;
      case 'R': {
        const fx = this.fx;
        return r() < 0.85 ? pick(this.tensors) : pick([() => fx.disposed(), () => fx.fromClosedScope(), () => fx.fakeTensor(Math.floor(r() * 64))])();
      }
      case 'X': return r() < 0.5 ? this.valid(pick<Kind>(['T', 'N', 'I', 'S', 'O', 'L']), r) : this.hostile(r);
    }
  }
}

let pool: ValuePool | undefined;

export interface FuzzCall {
  run: () => unknown;
  describe: () => string;
}

/** Call `index` of `seed`: its function and arguments, made now (fixtures belong to this call). */
export function fuzzCall(seed: number, index: number, fx: Fixtures): FuzzCall {
  pool ??= new ValuePool(fx);
  const r = callRandom(seed, index);
  const [name, kinds, call] = ENTRIES[Math.floor(r() * ENTRIES.length)];
  const args = kinds.map((k) => (RECEIVERS.includes(k) || r() < 0.55 ? pool!.valid(k, r) : pool!.hostile(r)));
  return {
    run: () => call(...args),
    describe: () => {
      let shown: string;
      try {
        shown = args.map((a) => show(a)).join(', ');
      } catch {
        shown = '(arguments that cannot be described)';
      }
      return `${name}(${shown}) [seed ${seed}, call ${index}]`;
    },
  };
}

export const FUZZ_FUNCTIONS = ENTRIES.length;
