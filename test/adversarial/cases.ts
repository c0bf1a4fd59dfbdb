/**
 * The adversarial suite's bad calls: one entry per distinct misuse of the public API. Every
 * one must throw (or reject) a FlowmatchError with a code, leak no tensor, and neither crash
 * nor hang; a case whose hostile getter or callback throws may also let that very error through.
 * Names are unique; index order is stable so a failure names its case.
 */
import * as fm from '../../lib/index';
import type { Fixtures } from './fixtures';

export interface Case {
  name: string;
  run: (fx: Fixtures) => unknown;
}

export const CASES: Case[] = [];
const names = new Set<string>();
function add(name: string, run: (fx: Fixtures) => unknown): void {
  if (names.has(name)) throw new Error(`duplicate adversarial case name: ${name}`);
  names.add(name);
  CASES.push({ name, run });
}

/** Values that are not what any argument of that position expects. */
const JUNK: [string, (fx: Fixtures) => unknown][] = [
  ['null', () => null],
  ['a string', () => 'abc'],
  ['NaN', () => NaN],
  ['a Proxy whose traps throw', (fx) => fx.hostileProxy()],
];
/** Options arguments that are not option objects, or objects whose reads throw. */
const BAD_OPTIONS: [string, (fx: Fixtures) => unknown][] = [
  ['null options', () => null],
  ['options 42', () => 42],
  ['options a string', () => 'fast'],
  ['options a Proxy whose traps throw', (fx) => fx.hostileProxy()],
];
const BAD_SHAPES: [string, (fx: Fixtures) => unknown][] = [
  ['shape null', () => null],
  ['shape [-1]', () => [-1]],
  ['shape [NaN]', () => [NaN]],
  ['shape [Infinity]', () => [Infinity]],
  ['shape [2.5]', () => [2.5]],
  ['shape [[2]]', () => [[2]]],
  ['shape "2,3"', () => '2,3'],
  ['shape [-0, -3]', () => [-0, -3]],
  ['shape [1e6, 1e6, 1e6]', () => [1e6, 1e6, 1e6]],
  ['shape of 100000 dims', () => new Array(100000).fill(1)],
  ['shape whose element getters allocate, with a negative dim', (fx) => fx.allocatingArray([2, -2])],
];

// ---- tensors and creation ----------------------------------------------------------------

const factories: [string, (shape: unknown, opts?: unknown) => unknown][] = [
  ['zeros', (s, o) => fm.zeros(s as number[], o as never)],
  ['ones', (s, o) => fm.ones(s as number[], o as never)],
  ['empty', (s, o) => fm.empty(s as number[], o as never)],
  ['rand', (s, o) => fm.rand(s as number[], o as never)],
  ['randn', (s, o) => fm.randn(s as number[], o as never)],
  ['full', (s, o) => fm.full(s as number[], 1, o as never)],
];
for (const [fname, make] of factories) {
  for (const [what, shape] of BAD_SHAPES) add(`${fname} with ${what}`, (fx) => make(shape(fx)));
  for (const [what, opts] of BAD_OPTIONS) add(`${fname} with ${what}`, (fx) => make([2], opts(fx)));
  add(`${fname} with dtype "float8"`, () => make([2], { dtype: 'float8' }));
  add(`${fname} with device "tpu"`, () => make([2], { device: 'tpu' }));
  add(`${fname} with a dtype getter that throws`, (fx) => make([2], fx.throwingGetter('dtype')));
}
add('full with a string value', () => fm.full([2], 'x' as never));
add('full with NaN shape and NaN value', () => fm.full([NaN], NaN));
add('eye with n = -1', () => fm.eye(-1));
add('eye with m = 2.5', () => fm.eye(2, 2.5));
add('eye with null options', () => fm.eye(2, 2, null as never));
add('arange with step 0', () => fm.arange(0, 1, 0));
add('arange with Infinity end', () => fm.arange(0, Infinity));
add('arange with 1e300 elements', () => fm.arange(0, 1e300, 1));
add('linspace with -1 steps', () => fm.linspace(0, 1, -1));
add('linspace with steps 1e15', () => fm.linspace(0, 1, 1e15));
add('randint with high below low', () => fm.randint(3, 1, [2]));
add('randint with a NaN low', () => fm.randint(NaN, 1, [2]));
add('randperm with n = -5', () => fm.randperm(-5));
add('randperm with null options', () => fm.randperm(3, null as never));
add('randperm with device 7', () => fm.randperm(3, { device: 7 as never }));
add('tensor of undefined', () => fm.tensor(undefined as never));
add('tensor of a Symbol', () => fm.tensor(Symbol('x') as never));
add('tensor of ragged arrays', () => fm.tensor([[1], [2, 3]]));
add('tensor of nested strings', () => fm.tensor([['a']] as never));
add('tensor of a Uint16Array', () => fm.tensor(new Uint16Array(3) as never));
add('tensor with shape not matching the data', () => fm.tensor([1, 2, 3], { shape: [2, 2] }));
add('tensor of a TypedArray with a null shape', () => fm.tensor(new Float32Array(4), { shape: null as never }));
add('tensor with null options', () => fm.tensor([1], null as never));
add('tensor of an array whose getter throws', (fx) => {
  const e = fx.userError();
  return fm.tensor(Object.defineProperty([0, 0], 1, { get: () => { throw e; } }) as number[]);
});
const likes: [string, (t: unknown, opts?: unknown) => unknown][] = [
  ['zerosLike', (t, o) => fm.zerosLike(t as fm.Tensor, o as never)],
  ['onesLike', (t, o) => fm.onesLike(t as fm.Tensor, o as never)],
  ['emptyLike', (t, o) => fm.emptyLike(t as fm.Tensor, o as never)],
  ['randLike', (t, o) => fm.randLike(t as fm.Tensor, o as never)],
  ['randnLike', (t, o) => fm.randnLike(t as fm.Tensor, o as never)],
  ['fullLike', (t, o) => fm.fullLike(t as fm.Tensor, 2, o as never)],
  ['randintLike', (t, o) => fm.randintLike(t as fm.Tensor, 0, 3, o as never)],
];
for (const [fname, like] of likes) {
  add(`${fname} of null`, () => like(null));
  add(`${fname} of undefined`, () => like(undefined));
  add(`${fname} of a disposed tensor`, (fx) => like(fx.disposed()));
  add(`${fname} with null options`, (fx) => like(fx.t(), null));
  add(`${fname} with options 5`, (fx) => like(fx.t(), 5));
}

// ---- Tensor methods ------------------------------------------------------------------------

const methods: [string, (t: fm.Tensor, fx: Fixtures) => unknown][] = [
  ['add', (t, fx) => t.add(fx.t())],
  ['mul', (t) => t.mul(2)],
  ['sub', (t) => t.sub(1)],
  ['exp', (t) => t.exp()],
  ['sum', (t) => t.sum()],
  ['mean', (t) => t.mean(0)],
  ['reshape', (t) => t.reshape([-1])],
  ['permute', (t) => t.permute([1, 0])],
  ['matmul', (t, fx) => t.matmul(fx.t([2, 2]))],
  ['clone', (t) => t.clone()],
  ['to', (t) => t.to('float64')],
  ['data', (t) => t.data()],
  ['item', (t) => t.item()],
  ['toArray', (t) => t.toArray()],
  ['backward', (t) => t.backward()],
  ['add_', (t) => t.add_(1)],
  ['copy_', (t, fx) => t.copy_(fx.t([2, 2]))],
  ['flip', (t) => t.flip([0])],
  ['split', (t) => t.split(1)],
  ['grad getter', (t) => t.grad],
  ['requiresGrad setter', (t) => { t.requiresGrad = true; }],
  ['softplus', (t) => t.softplus()],
  ['sort', (t) => t.sort()],
  ['narrow', (t) => t.narrow(0, 0, 1)],
  ['indexSelect', (t, fx) => t.indexSelect(0, fx.ints([1], 2))],
];
for (const [mname, call] of methods) {
  add(`Tensor.${mname} on a disposed tensor`, (fx) => call(fx.disposed(), fx));
}
for (const [mname, call] of methods.slice(0, 12)) {
  add(`Tensor.${mname} on a tensor from a closed scope`, (fx) => call(fx.fromClosedScope(), fx));
  add(`Tensor.${mname} on a fake tensor with handle 1`, (fx) => call(fx.fakeTensor(1), fx));
}
add('Tensor method on a fake tensor with handle -1', (fx) => fx.fakeTensor(-1).exp());
add('Tensor method on a fake tensor with handle 2^40', (fx) => fx.fakeTensor(2 ** 40).exp());
add('Tensor method on a fake tensor with a string handle', (fx) => fx.fakeTensor('7').exp());
add('Tensor method on a fake tensor with handle NaN', (fx) => fx.fakeTensor(NaN).sum());
add('add with a disposed operand', (fx) => fx.t().add(fx.disposed()));
add('add with a fake operand', (fx) => fx.t().add(fx.fakeTensor(1)));
add('add with an object operand', (fx) => fx.t().add({} as never));
add('add with alpha NaN', (fx) => fx.t().add(fx.t(), { alpha: NaN }));
add('add with a disposed out', (fx) => fx.t().add(fx.t(), { out: fx.disposed() }));
add('add with null options and a tensor', (fx) => fx.t().add(fx.t(), null as never));
add('mul by a string', (fx) => fx.t().mul('2' as never));
add('reshape to null', (fx) => fx.t().reshape(null as never));
add('reshape with two -1', (fx) => fx.t().reshape([-1, -1]));
add('reshape to the wrong size', (fx) => fx.t().reshape([3]));
add('reshape with getters that allocate, to the wrong size', (fx) => fx.t().reshape(fx.allocatingArray([3, 3])));
add('view with getters that allocate, to the wrong size', (fx) => fx.t().view(fx.allocatingArray([5])));
add('expand with getters that allocate, to a bad shape', (fx) => fx.t().expand(fx.allocatingArray([3, 3])));
add('repeat with getters that allocate, too few dims', (fx) => fx.t().repeat(fx.allocatingArray([2])));
add('permute with getters that allocate, dim out of range', (fx) => fx.t().permute(fx.allocatingArray([0, 5])));
add('permute a string', (fx) => fx.t().permute('01' as never));
add('permute with a repeated dim', (fx) => fx.t().permute([0, 0]));
add('sum with getters that allocate, dim out of range', (fx) => fx.t().sum(fx.allocatingArray([9])));
add('mean over dims given as a Proxy', (fx) => fx.t().mean(fx.hostileProxy() as never));
add('flip with getters that allocate, dim out of range', (fx) => fx.t().flip(fx.allocatingArray([7])));
add('squeeze with getters that allocate, dim out of range', (fx) => fx.t().squeeze(fx.allocatingArray([7])));
add('split with sections that allocate, not summing up', (fx) => fx.t().split(fx.allocatingArray([1, 1]), 0));
add('sum with a bad dtype option', (fx) => fx.t().sum(0, { dtype: 'float8' as never }));
add('sum with null reduce options', (fx) => fx.t().sum(0, null as never));
add('mean with options 5', (fx) => fx.t().mean(0, 5 as never));
add('var with a NaN correction', (fx) => fx.t().var(0, { correction: NaN }));
add('max along dim 99', (fx) => fx.t().max(99));
add('norm with p a string', (fx) => fx.t().norm('fro' as never));
add('unsqueeze at dim 1e9', (fx) => fx.t().unsqueeze(1e9));
add('transpose with dim -0.5', (fx) => fx.t().transpose(-0.5, 1));
add('narrow with negative length', (fx) => fx.t().narrow(0, 0, -1));
add('slice with step 0', (fx) => fx.t().slice(0, 0, 2, 0));
add('select at index 2^53', (fx) => fx.t().select(0, 2 ** 53));
add('chunk into 0 chunks', (fx) => fx.t().chunk(0));
add('topk with k larger than the dim', (fx) => fx.t().topk(99, 0));
add('gather with a float index', (fx) => fx.t().gather(0, fx.t()));
add('maskedFill with a float mask', (fx) => fx.t().maskedFill(fx.t(), 1));
add('index with an out-of-range index', (fx) => fx.t().index(fx.own(fm.tensor([99], { dtype: 'int64' }))));
add('clamp with both bounds null', (fx) => fx.t().clamp(null, null));
add('clamp with a string min', (fx) => fx.t().clamp('0' as never));
add('gelu with approximate "fast"', (fx) => fx.t().gelu('fast' as never));
add('to a bad target object', (fx) => fx.t().to({ dtype: 'float8' } as never));
add('to null', (fx) => fx.t().to(null as never));
add('grad setter with a wrong-shape gradient', (fx) => {
  const x = fx.t([2], { requiresGrad: true });
  x.grad = fx.t([3]);
});
add('grad setter with a number', (fx) => {
  fx.t([2], { requiresGrad: true }).grad = 5 as never;
});
add('requiresGrad setter with "yes"', (fx) => {
  fx.t().requiresGrad = 'yes' as never;
});
add('requiresGrad on an int64 tensor', (fx) => {
  fx.ints().requiresGrad = true;
});
add('backward of a non-scalar without a gradient', (fx) => fx.own(fx.t([2], { requiresGrad: true }).mul(2)).backward());
add('backward with null options', (fx) => fx.own(fx.t([1], { requiresGrad: true }).sum()).backward(undefined, null as never));
add('item of a 2-element tensor', (fx) => fx.t([2]).item());
add('allclose with rtol NaN', (fx) => fx.t().allclose(fx.t(), NaN));
add('lerp with weight null', (fx) => fx.t().lerp(fx.t(), null as never));
add('addcmul_ with a disposed t2', (fx) => fx.t().addcmul_(fx.t(), fx.disposed()));

// ---- functional ops --------------------------------------------------------------------------

add('cat of null', () => fm.cat(null as never));
add('cat of an empty list', () => fm.cat([]));
add('cat of numbers', () => fm.cat([1, 2] as never));
add('cat with a disposed member', (fx) => fm.cat([fx.t(), fx.disposed()]));
add('cat with dim NaN', (fx) => fm.cat([fx.t(), fx.t()], NaN));
add('cat of mismatched shapes', (fx) => fm.cat([fx.t([2, 2]), fx.t([2, 3])], 0));
add('stack of a Proxy', (fx) => fm.stack(fx.hostileProxy() as never));
add('stack of mismatched shapes', (fx) => fm.stack([fx.t([2]), fx.t([3])]));
add('einsum with a numeric equation', (fx) => fm.einsum(5 as never, fx.t()));
add('einsum with a malformed equation', (fx) => fm.einsum('ij,->>', fx.t()));
add('where with a float condition', (fx) => fm.where(fx.t(), 1, 0));
add('where with a string branch', (fx) => fm.where(fx.own(fx.t().gt(0)), 'a' as never, 0));
add('matmul of null', (fx) => fm.matmul(null as never, fx.t()));
add('bmm of 2-D tensors', (fx) => fm.bmm(fx.t(), fx.t()));
add('add of two numbers', () => fm.add(1, 2));
add('pow of strings', () => fm.pow('a' as never, 'b' as never));
add('linear with a mismatched weight', (fx) => fm.linear(fx.t([4, 2]), fx.t([3, 5])));
add('linear with a string bias', (fx) => fm.linear(fx.t([4, 2]), fx.t([3, 2]), 'b' as never));
add('conv2d with null options', (fx) => fm.conv2d(fx.t([1, 1, 4, 4]), fx.t([1, 1, 3, 3]), null, null as never));
add('conv2d with stride 0', (fx) => fm.conv2d(fx.t([1, 1, 4, 4]), fx.t([1, 1, 3, 3]), null, { stride: 0 }));
add('conv2d on a 2-D input', (fx) => fm.conv2d(fx.t([4, 4]), fx.t([1, 1, 3, 3])));
add('groupNorm with 3 groups of 4 channels', (fx) => fm.groupNorm(fx.t([1, 4, 2, 2]), 3));
add('groupNorm with a string weight', (fx) => fm.groupNorm(fx.t([1, 4, 2, 2]), 2, 'w' as never));
add('layerNorm with a bad normalized shape', (fx) => fm.layerNorm(fx.t([4, 2]), [3]));
add('layerNorm with getters that allocate, a bad shape', (fx) => fm.layerNorm(fx.t([4, 2]), fx.allocatingArray([5])));
add('layerNorm with a disposed bias', (fx) => fm.layerNorm(fx.t([4, 2]), [2], null, fx.disposed()));
add('softmax with dim NaN', (fx) => fm.softmax(fx.t(), NaN));
add('logSoftmax with dim 5', (fx) => fm.logSoftmax(fx.t(), 5));
add('dropout with p = 2', (fx) => fm.dropout(fx.t(), 2));
add('dropout with training "yes"', (fx) => fm.dropout(fx.t(), 0.5, 'yes' as never));
add('mseLoss with reduction "avg"', (fx) => fm.mseLoss(fx.t(), fx.t(), 'avg' as never));
add('mseLoss of null', (fx) => fm.mseLoss(null as never, fx.t()));
add('crossEntropy with float targets of the wrong shape', (fx) => fm.crossEntropy(fx.t([4, 3]), fx.t([5])));
add('avgPool2d with kernel 0', (fx) => fm.avgPool2d(fx.t([1, 1, 4, 4]), 0));
add('maxPool2d with a kernel larger than the input', (fx) => fm.maxPool2d(fx.t([1, 1, 2, 2]), 5));
add('interpolate with null options', (fx) => fm.interpolate(fx.t([1, 1, 2, 2]), null as never));
add('interpolate with both size and scaleFactor', (fx) => fm.interpolate(fx.t([1, 1, 2, 2]), { size: 4, scaleFactor: 2 }));
add('interpolate with scaleFactor -1', (fx) => fm.interpolate(fx.t([1, 1, 2, 2]), { scaleFactor: -1 }));
add('interpolate with a size getter that throws', (fx) => fm.interpolate(fx.t([1, 1, 2, 2]), fx.throwingGetter('size') as never));
add('eigh of a non-square matrix', (fx) => fm.eigh(fx.t([2, 3])));
add('eigh of a matrix with NaN', (fx) => fm.eigh(fx.own(fm.full([2, 2], NaN))));
add('cholesky of a non-positive-definite matrix', (fx) => fm.cholesky(fx.own(fm.tensor([[1, 2], [2, 1]]))));
add('inverse of null', () => fm.inverse(null as never));
add('slogdet of a 1-D tensor', (fx) => fm.slogdet(fx.t([3])));

// ---- autograd, scopes, runtime ---------------------------------------------------------------

add('grad of null outputs', (fx) => fm.grad(null as never, fx.t()));
add('grad with null inputs', (fx) => fm.grad(fx.own(fx.t([1], { requiresGrad: true }).sum()), null as never));
add('grad with null options', (fx) => {
  const x = fx.t([2], { requiresGrad: true });
  return fm.grad(fx.own(x.sum()), x, null as never);
});
add('grad of an output that does not require grad', (fx) => fm.grad(fx.own(fx.t().sum()), fx.t()));
add('grad with a disposed input', (fx) => fm.grad(fx.own(fx.t([1], { requiresGrad: true }).sum()), fx.disposed()));
add('grad with gradOutputs not a list', (fx) => {
  const x = fx.t([2], { requiresGrad: true });
  return fm.grad(fx.own(x.sum()), x, { gradOutputs: 5 as never });
});
add('noGrad of a number', () => fm.noGrad(5 as never));
add('enableGrad of null', () => fm.enableGrad(null as never));
add('tidy of a string', () => fm.tidy('fn' as never));
add('tidy of an async function', () => fm.tidy(async () => 1));
add('tidy whose function throws a FlowmatchError', (fx) => fm.tidy(() => fx.t().reshape([99])));
add('scope of null', () => fm.scope(null as never));
add('scope whose function rejects with a FlowmatchError', (fx) => fm.scope(async () => fx.t().reshape([99])));
add('setNumThreads(0)', () => fm.setNumThreads(0));
add('setNumThreads(-3)', () => fm.setNumThreads(-3));
add('setNumThreads(NaN)', () => fm.setNumThreads(NaN));
add('setNumThreads("4")', () => fm.setNumThreads('4' as never));
add('setNumThreads(1e9)', () => {
  fm.setNumThreads(1e9);
  return fm.ones([64, 64]).matmul(fm.ones([64, 64])).dispose();
});
add('setNumThreads(2^31)', () => fm.setNumThreads(2 ** 31));
add('manualSeed(-1)', () => fm.manualSeed(-1));
add('manualSeed(1.5)', () => fm.manualSeed(1.5));
add('manualSeed(1e300)', () => fm.manualSeed(1e300));
add('manualSeed(null)', () => fm.manualSeed(null as never));
add('manualSeed(-0.5)', () => fm.manualSeed(-0.5));

// ---- paths and schedulers --------------------------------------------------------------------

const schedulers: [string, () => fm.Scheduler][] = [
  ['OTScheduler', () => new fm.OTScheduler()],
  ['PolynomialScheduler', () => new fm.PolynomialScheduler(2)],
  ['CosineScheduler', () => new fm.CosineScheduler()],
  ['LinearVPScheduler', () => new fm.LinearVPScheduler()],
  ['VPScheduler', () => new fm.VPScheduler()],
  ['VEScheduler', () => new fm.VEScheduler()],
];
for (const [sname, make] of schedulers) {
  add(`${sname}.coefficients(null)`, () => make().coefficients(null as never));
  add(`${sname}.coefficients of a disposed tensor`, (fx) => make().coefficients(fx.disposed()));
  add(`${sname}.coefficients of a number`, () => make().coefficients(0.5 as never));
}
add('OTScheduler with null options', () => new fm.OTScheduler(null as never));
add('OTScheduler with sigmaMin 1', () => new fm.OTScheduler({ sigmaMin: 1 }));
add('OTScheduler with sigmaMin NaN', () => new fm.OTScheduler({ sigmaMin: NaN }));
add('OTScheduler with a sigmaMin getter that throws', (fx) => new fm.OTScheduler(fx.throwingGetter('sigmaMin') as never));
add('PolynomialScheduler with n = 0', () => new fm.PolynomialScheduler(0));
add('PolynomialScheduler with n a string', () => new fm.PolynomialScheduler('2' as never));
add('VPScheduler with null options', () => new fm.VPScheduler(null as never));
add('VPScheduler with betaMin -1', () => new fm.VPScheduler({ betaMin: -1 }));
add('VEScheduler with null options', () => new fm.VEScheduler(null as never));
add('VEScheduler with sigmaMax below sigmaMin', () => new fm.VEScheduler({ sigmaMin: 2, sigmaMax: 1 }));
add('otPath with null options', () => fm.otPath(null as never));
add('veDiffusionPath with null options', () => fm.veDiffusionPath(null as never));
add('vpDiffusionPath with null options', () => fm.vpDiffusionPath(null as never));
add('vpDiffusionPath with options 7', () => fm.vpDiffusionPath(7 as never));
add('AffinePath of null', () => new fm.AffinePath(null as never));
add('AffinePath of an object without coefficients', () => new fm.AffinePath({ name: 'x' } as never));
add('AffinePath.sample of mismatched shapes', (fx) => fm.otPath().sample(fx.t([4, 2]), fx.t([3, 2]), 0.5));
add('AffinePath.sample with t NaN', (fx) => fm.otPath().sample(fx.t(), fx.t(), NaN));
add('AffinePath.sample with t of the wrong length', (fx) => fm.otPath().sample(fx.t(), fx.t(), fx.t([3])));
add('AffinePath.sample with a string t', (fx) => fm.otPath().sample(fx.t(), fx.t(), '0.5' as never));
add('AffinePath.sample with null x0', (fx) => fm.otPath().sample(null as never, fx.t(), 0.5));
add('AffinePath.x1ToVelocity with a disposed xt', (fx) => fm.otPath().x1ToVelocity(fx.t(), fx.disposed(), 0.5));
add('AffinePath.velocityToEpsilon with t Infinity', (fx) => fm.otPath().velocityToEpsilon(fx.t(), fx.t(), Infinity));
add('AffinePath over a scheduler whose coefficients throw', (fx) => {
  const e = fx.userError();
  return new fm.AffinePath({ name: 'bad', coefficients: () => { throw e; } }).sample(fx.t(), fx.t(), 0.5);
});
add('AffinePath over a scheduler returning null', (fx) => new fm.AffinePath({ name: 'bad', coefficients: () => null as never }).sample(fx.t(), fx.t(), 0.5));
add('GaussianPath of null', () => new fm.GaussianPath(null as never));
add('GaussianPath whose moments return numbers', (fx) => new fm.GaussianPath(() => ({ mean: 1, std: 1, dMean: 0, dStd: 0 }) as never).sample(fx.t(), fx.t(), 0.5));
add('GaussianMixtureMarginal of nulls', () => new fm.GaussianMixtureMarginal(null as never, null as never));
add('GaussianMixtureMarginal.velocity of the wrong dim', (fx) => new fm.GaussianMixtureMarginal(fm.otPath(), fm.EIGHT_GAUSSIANS).velocity(fx.t([4, 3]), 0.5));
add('GaussianMixtureMarginal.logDensity with t NaN', (fx) => new fm.GaussianMixtureMarginal(fm.otPath(), fm.EIGHT_GAUSSIANS).logDensity(fx.t(), NaN));

// ---- losses ---------------------------------------------------------------------------------------

add('cfmLoss with a null model', (fx) => fm.cfmLoss(null as never, fm.otPath(), fx.t()));
add('cfmLoss with a null path', (fx) => fm.cfmLoss(fx.mlp(), null as never, fx.t()));
add('cfmLoss with null data', (fx) => fm.cfmLoss(fx.mlp(), fm.otPath(), null as never));
add('cfmLoss with null options', (fx) => fm.cfmLoss(fx.mlp(), fm.otPath(), fx.t(), null as never));
add('cfmLoss with data of the wrong width', (fx) => fm.cfmLoss(fx.mlp(), fm.otPath(), fx.t([4, 5])));
add('cfmLoss with a model that returns a number', (fx) => fm.cfmLoss((() => 1) as never, fm.otPath(), fx.t()));
add('cfmLoss with a model that throws', (fx) => {
  const e = fx.userError();
  return fm.cfmLoss((() => { throw e; }) as never, fm.otPath(), fx.t());
});
add('cfmLoss with a timeSampler that returns null', (fx) => fm.cfmLoss(fx.mlp(), fm.otPath(), fx.t(), { timeSampler: (() => null) as never }));
add('fmLoss with a null marginal', (fx) => fm.fmLoss(fx.mlp(), null as never, fx.t()));
add('fmLoss with null options', (fx) => fm.fmLoss(fx.mlp(), new fm.GaussianMixtureMarginal(fm.otPath(), fm.EIGHT_GAUSSIANS), fx.t(), null as never));
add('uniformTime with null options', () => fm.uniformTime(null as never));
add('uniformTime with min above max', () => fm.uniformTime({ min: 1, max: 0 }));
add('uniformTime sampler with n = -1', () => fm.uniformTime()(-1, 'cpu'));
add('logitNormalTime with std -1', () => fm.logitNormalTime({ std: -1 }));
add('logitNormalTime with null options', () => fm.logitNormalTime(null as never));
add('logitNormalTime sampler on device "tpu"', () => fm.logitNormalTime()(4, 'tpu' as never));

// ---- data -------------------------------------------------------------------------------------------

const toys: [string, (n: unknown, opts?: unknown) => unknown][] = [
  ['checkerboard', (n, o) => fm.checkerboard(n as number, o as never)],
  ['eightGaussians', (n, o) => fm.eightGaussians(n as number, o as never)],
  ['moons', (n, o) => fm.moons(n as number, o as never)],
  ['circles', (n, o) => fm.circles(n as number, o as never)],
  ['swissRoll', (n, o) => fm.swissRoll(n as number, o as never)],
  ['twoSpirals', (n, o) => fm.twoSpirals(n as number, o as never)],
  ['pinwheel', (n, o) => fm.pinwheel(n as number, o as never)],
  ['sampleToy("moons")', (n, o) => fm.sampleToy('moons', n as number, o as never)],
];
for (const [tname, toy] of toys) {
  add(`${tname} with n = -1`, () => toy(-1));
  add(`${tname} with n = NaN`, () => toy(NaN));
  add(`${tname} with null options`, () => toy(4, null));
  add(`${tname} on device "tpu"`, () => toy(4, { device: 'tpu' }));
}
add('moons with noise NaN', () => fm.moons(4, { noise: NaN }));
add('sampleToy of an unknown name', () => fm.sampleToy('spiral' as never, 4));
add('insideCheckerboard of [4, 3] points', (fx) => fm.insideCheckerboard(fx.t([4, 3])));
add('GaussianMixture of null', () => new fm.GaussianMixture(null as never));
add('GaussianMixture with no components', () => new fm.GaussianMixture({ means: [], stds: [] } as never));
add('GaussianMixture.sample with n = -1', () => fm.EIGHT_GAUSSIANS.sample(-1));
add('seededPermutation with n = -1', () => fm.seededPermutation(-1, 0));
add('seededPermutation with seed NaN', () => fm.seededPermutation(4, NaN));
add('seededPermutation with n = 1e12', () => fm.seededPermutation(1e12, 0));
add('toSignedUnit of null', () => fm.toSignedUnit(null as never));
add('fromSignedUnit of a disposed tensor', (fx) => fm.fromSignedUnit(fx.disposed()));
const FILE_READERS: [string, (file: string, fx: Fixtures) => unknown][] = [
  ['readIdx', (f) => fm.readIdx(f)],
  ['loadSafetensors', (f) => fm.loadSafetensors(f)],
  ['readSafetensorsHeader', (f) => fm.readSafetensorsHeader(f)],
  ['readSafetensorsMetadata', (f) => fm.readSafetensorsMetadata(f)],
  ['readCifarBatch', (f) => fm.readCifarBatch(f)],
  ['readMetrics', (f) => fm.readMetrics(f)],
  ['loadCheckpoint', (f) => fm.loadCheckpoint(f)],
  ['loadFashionClassifier', (f) => fm.loadFashionClassifier(f)],
  ['loadTorchScript', (f) => fm.loadTorchScript(f)],
  ['Module.load', (f, fx) => fx.mlp().load(f)],
];
const SPECIAL_FILES = ['missing', 'folder', 'fifo', 'empty', 'garbage', 'underFile'];
for (const [rname, read] of FILE_READERS) {
  // An empty metrics file is an empty log, and a single unterminated line is a record still being written.
  const valid = rname === 'readMetrics' ? ['empty', 'garbage'] : [];
  for (const special of SPECIAL_FILES.filter((f) => !valid.includes(f))) add(`${rname} of the ${special} file`, (fx) => read(fx.file(special), fx));
  add(`${rname} of /dev/zero`, (fx) => read('/dev/zero', fx));
  add(`${rname} of null`, (fx) => read(null as never, fx));
}
for (const [rname, read] of FILE_READERS.slice(0, 3)) {
  add(`${rname} of /dev/urandom`, (fx) => read('/dev/urandom', fx));
  add(`${rname} of a truncated safetensors`, (fx) => read(fx.file('truncated'), fx));
  add(`${rname} of a header that claims 2^63 bytes`, (fx) => read(fx.file('hugeHeader'), fx));
}
add('readMetrics of a file with a corrupt line before the last', (fx) => fm.readMetrics(fx.file('badJson')));
add('loadMnist with null options', () => fm.loadMnist(null as never));
add('loadMnist with a missing root', (fx) => fm.loadMnist({ root: fx.file('missing') }));
add('loadMnist with a FIFO root', (fx) => fm.loadMnist({ root: fx.file('fifo') }));
add('loadMnist with split "valid"', () => fm.loadMnist({ split: 'valid' as never }));
add('loadMnist with root 5', () => fm.loadMnist({ root: 5 as never }));
add('loadCifar10 with null options', () => fm.loadCifar10(null as never));
add('loadCifar10 with a missing root', (fx) => fm.loadCifar10({ root: fx.file('missing') }));
add('loadImageFolder of a missing folder', (fx) => fm.loadImageFolder(fx.file('missing')));
add('loadImageFolder of a file', (fx) => fm.loadImageFolder(fx.file('garbage')));
add('loadImageFolder of a folder with a broken PNG', (fx) => fm.loadImageFolder(fx.file('imageFolder')));
add('loadImageFolder of null', () => fm.loadImageFolder(null as never));
add('loadImageFolder of an empty folder', (fx) => fm.loadImageFolder(fx.file('folder')));
add('DataLoader of null', () => new fm.DataLoader(null as never, { batchSize: 2 }));
add('DataLoader with null options', (fx) => new fm.DataLoader({ x: fx.t() }, null as never));
add('DataLoader with batchSize 0', (fx) => new fm.DataLoader({ x: fx.t() }, { batchSize: 0 }));
add('DataLoader with a batchSize above the dataset size', (fx) => new fm.DataLoader({ x: fx.t() }, { batchSize: 99 }));
add('DataLoader with labels of the wrong length', (fx) => new fm.DataLoader({ x: fx.t(), labels: fx.ints([3]) }, { batchSize: 2 }));
add('DataLoader with a disposed x', (fx) => new fm.DataLoader({ x: fx.disposed() }, { batchSize: 1 }));
add('DataLoader with transform 5', (fx) => new fm.DataLoader({ x: fx.t() }, { batchSize: 2, transform: 5 as never }));
add('DataLoader.batch at step -1', (fx) => new fm.DataLoader({ x: fx.t() }, { batchSize: 2 }).batch(-1));

// ---- solvers -----------------------------------------------------------------------------------------

const rhs = (_t: number, y: fm.Tensor): fm.Tensor => y.neg();
add('odeint with f null', (fx) => fm.odeint(null as never, fx.t(), [0, 1]));
add('odeint with y0 null', () => fm.odeint(rhs, null as never, [0, 1]));
add('odeint with a disposed y0', (fx) => fm.odeint(rhs, fx.disposed(), [0, 1]));
add('odeint with an int64 y0', (fx) => fm.odeint(rhs, fx.ints(), [0, 1]));
add('odeint with an empty tuple y0', () => fm.odeint(rhs as never, [] as never, [0, 1]));
const BAD_T: [string, unknown][] = [
  ['t null', null],
  ['t empty', []],
  ['t of one time', [0]],
  ['t with NaN', [0, NaN]],
  ['t with Infinity', [0, Infinity]],
  ['t not monotone', [0, 1, 0.5]],
  ['t repeated', [0, 0]],
  ['t a string', '0,1'],
  ['t of strings', ['0', '1']],
  ['t as a 2-D tensor', 'tensor2d'],
];
for (const [what, t] of BAD_T) {
  add(`odeint with ${what}`, (fx) => fm.odeint(rhs, fx.t(), (t === 'tensor2d' ? fx.t([2, 2]) : t) as never));
}
const BAD_SOLVER_OPTS: [string, unknown][] = [
  ['null odeint options', null],
  ['odeint options 5', 5],
  ['method "rk45"', { method: 'rk45' }],
  ['a tableau object as method', { method: { c: [0], a: [], b: [1], order: 1 } }],
  ['a tableau with mismatched rows as method', { method: { c: [0, 1], a: [[1, 2, 3]], b: [1], order: 1 } }],
  ['rtol -1', { rtol: -1 }],
  ['rtol NaN', { rtol: NaN }],
  ['atol a string', { atol: '1e-3' }],
  ['rtol per component for a single tensor', { rtol: [1e-3, 1e-3, 1e-3] }],
  ['null solver options', { options: null }],
  ['solver options 5', { options: 5 }],
  ['an unknown solver option', { options: { stepsize: 0.1 } }],
  ['euler with step_size 1e-300', { method: 'euler', options: { step_size: 1e-300 } }],
  ['rk4 with step_size 0', { method: 'rk4', options: { step_size: 0 } }],
  ['euler with step_size -0.1', { method: 'euler', options: { step_size: -0.1 } }],
  ['euler with step_size NaN', { method: 'euler', options: { step_size: NaN } }],
  ['dopri5 with first_step 0', { options: { first_step: 0 } }],
  ['dopri5 with first_step -1', { options: { first_step: -1 } }],
  ['dopri5 with max_num_steps 0', { options: { max_num_steps: 0 } }],
  ['dopri5 with max_num_steps 2 on a stiff problem', { rtol: 1e-12, atol: 1e-12, options: { max_num_steps: 2 } }],
  ['dopri5 with min_step above max_step', { options: { min_step: 1, max_step: 0.1 } }],
  ['dopri5 with safety NaN', { options: { safety: NaN } }],
  ['dopri5 with step_t of strings', { options: { step_t: ['a'] } }],
  ['dopri5 with jump_t outside the interval containing NaN', { options: { jump_t: [NaN] } }],
  ['dopri5 with a norm that returns a string', { options: { norm: () => 'x' } }],
  ['dopri5 with dtype "int64"', { options: { dtype: 'int64' } }],
  ['dopri5 with stepBudget -1', { options: { stepBudget: -1 } }],
  ['euler with perturb "yes"', { method: 'euler', options: { perturb: 'yes' } }],
  ['euler with an adaptive option', { method: 'euler', options: { first_step: 0.1 } }],
  ['a method getter that throws', 'throwingMethod'],
];
for (const [what, opts] of BAD_SOLVER_OPTS) {
  add(`odeint with ${what}`, (fx) => fm.odeint(rhs, fx.t(), [0, 1], (opts === 'throwingMethod' ? fx.throwingGetter('method') : opts) as never));
}
add('odeint with f returning null', (fx) => fm.odeint((() => null) as never, fx.t(), [0, 1]));
add('odeint with f returning the wrong shape', (fx) => fm.odeint((_t, y) => y.sum(), fx.t(), [0, 1]));
add('odeint with f returning a disposed tensor', (fx) => fm.odeint((() => fx.disposed()) as never, fx.t(), [0, 1]));
add('odeint with f returning NaN everywhere', (fx) => fm.odeint((_t, y) => y.mul(NaN), fx.t(), [0, 1]));
add('odeint with f throwing', (fx) => {
  const e = fx.userError();
  return fm.odeint(() => { throw e; }, fx.t(), [0, 1]);
});
add('odeintAsync with null options', (fx) => fm.odeintAsync(rhs, fx.t(), [0, 1], null as never));
add('odeintAsync with signal 5', (fx) => fm.odeintAsync(rhs, fx.t(), [0, 1], { signal: 5 as never }));
add('odeintAsync with an aborted signal', (fx) => fm.odeintAsync(rhs, fx.t(), [0, 1], { signal: AbortSignal.abort() }));
add('odeintAsync with t NaN', (fx) => fm.odeintAsync(rhs, fx.t(), [NaN, 1]));
add('odeintAsync with f returning a string', (fx) => fm.odeintAsync((() => 'x') as never, fx.t(), [0, 1]));

// ---- sampling and likelihood --------------------------------------------------------------------

const BAD_SAMPLE_OPTS: [string, unknown][] = [
  ['null options', null],
  ['options "euler"', 'euler'],
  ['n = -1', { n: -1, shape: [2] }],
  ['n = 1e12', { n: 1e12, shape: [2] }],
  ['shape null', { n: 2, shape: null }],
  ['steps 0', { n: 2, shape: [2], steps: 0 }],
  ['steps 1e9', { n: 2, shape: [2], steps: 1e9 }],
  ['steps NaN', { n: 2, shape: [2], steps: NaN }],
  ['stepSize 1e-300', { n: 2, shape: [2], stepSize: 1e-300 }],
  ['method "leapfrog"', { n: 2, shape: [2], method: 'leapfrog' }],
  ['rtol -1', { n: 2, shape: [2], method: 'dopri5', rtol: -1 }],
  ['t of strings', { n: 2, shape: [2], t: ['0', '1'] }],
  ['t going backwards', { n: 2, shape: [2], t: [1, 0] }],
  ['x0 a number', { x0: 3 }],
  ['guidanceScale NaN', { n: 2, shape: [2], guidanceScale: NaN }],
  ['guidanceScale without a conditional model', { n: 2, shape: [2], guidanceScale: 2 }],
  ['nullLabel -1', { n: 2, shape: [2], nullLabel: -1 }],
  ['conditioning 5', { n: 2, shape: [2], conditioning: 5 }],
  ['returnTrajectory "yes"', { n: 2, shape: [2], returnTrajectory: 'yes' }],
  ['x0 of the wrong width', 'x0wide'],
];
for (const [what, opts] of BAD_SAMPLE_OPTS) {
  add(`sample with ${what}`, (fx) => fm.sample(fx.mlp(), (opts === 'x0wide' ? { x0: fx.t([4, 5]) } : opts) as never));
}
add('sample with a null model', () => fm.sample(null as never, { n: 2, shape: [2] }));
add('sample with a model returning null', () => fm.sample((() => null) as never, { n: 2, shape: [2], steps: 2 }));
add('sample with a model that throws', (fx) => {
  const e = fx.userError();
  return fm.sample(() => { throw e; }, { n: 2, shape: [2], steps: 2 });
});
add('sample with a disposed model', (fx) => {
  const m = fm.createMLP({ dim: 2, width: 4, depth: 1 });
  m.dispose();
  return fm.sample(m, { n: 2, shape: [2], steps: 2 });
});
add('sampleAsync with null options', (fx) => fm.sampleAsync(fx.mlp(), null as never));
add('sampleAsync with signal "stop"', (fx) => fm.sampleAsync(fx.mlp(), { n: 2, shape: [2], signal: 'stop' as never }));
add('sampleAsync with steps -2', (fx) => fm.sampleAsync(fx.mlp(), { n: 2, shape: [2], steps: -2 }));
add('callModel with a null model', (fx) => fm.callModel(null as never, fx.t(), fx.t([4])));
add('callModel with null x', (fx) => fm.callModel(fx.mlp(), null as never, fx.t([4])));
const BAD_LIK_OPTS: [string, unknown][] = [
  ['null options', null],
  ['options 3', 3],
  ['divergence "approx"', { divergence: 'approx' }],
  ['probe "uniform"', { divergence: 'hutchinson', probe: 'uniform' }],
  ['probes 0', { divergence: 'hutchinson', probes: 0 }],
  ['probes 1e9', { divergence: 'hutchinson', probes: 1e9 }],
  ['method "rk45"', { method: 'rk45' }],
  ['steps 1e9 with euler', { method: 'euler', steps: 1e9 }],
  ['priorStd 0', { priorStd: 0 }],
  ['priorStd NaN', { priorStd: NaN }],
  ['rtol "tight"', { rtol: 'tight' }],
  ['conditioning null', { conditioning: null }],
];
for (const [what, opts] of BAD_LIK_OPTS) {
  add(`likelihood with ${what}`, (fx) => fm.likelihood(fx.mlp(), fx.t(), opts as never));
}
add('likelihood with a null model', (fx) => fm.likelihood(null as never, fx.t()));
add('likelihood with null data', (fx) => fm.likelihood(fx.mlp(), null as never));
add('likelihood of int64 data', (fx) => fm.likelihood(fx.mlp(), fx.ints([4, 2])));
add('likelihood of an empty batch', (fx) => fm.likelihood(fx.mlp(), fx.t([0, 2])));
add('logProb with null options', (fx) => fm.logProb(fx.mlp(), fx.t(), null as never));
add('logProb with a disposed x1', (fx) => fm.logProb(fx.mlp(), fx.disposed()));
add('bitsPerDim with null options', (fx) => fm.bitsPerDim(fx.mlp(), fx.t([2, 1, 2, 2]), null as never));
add('bitsPerDim of a 1-D tensor', (fx) => fm.bitsPerDim(fx.mlp(), fx.t([4])));
add('bitsPerDim with bins 0', (fx) => fm.bitsPerDim(fx.mlp(), fx.t([2, 1, 2, 2]), { bins: 0 } as never));
add('exactDivergence of null', (fx) => fm.exactDivergence(null as never, fx.t()));
add('exactDivergence of an x that does not require grad', (fx) => {
  const x = fx.t();
  return fm.exactDivergence(fx.own(x.mul(2)), x);
});
add('exactDivergence of mismatched shapes', (fx) => {
  const x = fx.t([4, 2], { requiresGrad: true });
  return fm.exactDivergence(fx.own(x.sum(1)), x);
});
add('hutchinsonDivergence with null probes', (fx) => {
  const x = fx.t([4, 2], { requiresGrad: true });
  return fm.hutchinsonDivergence(fx.own(x.mul(2)), x, null as never);
});
add('hutchinsonDivergence with no probes', (fx) => {
  const x = fx.t([4, 2], { requiresGrad: true });
  return fm.hutchinsonDivergence(fx.own(x.mul(2)), x, []);
});
add('hutchinsonDivergence with a probe of the wrong shape', (fx) => {
  const x = fx.t([4, 2], { requiresGrad: true });
  return fm.hutchinsonDivergence(fx.own(x.mul(2)), x, [fx.t([3])]);
});

// ---- kernels -----------------------------------------------------------------------------------------

add('linearCombination of null terms', () => fm.linearCombination(null, null as never, []));
add('linearCombination with fewer coefficients than terms', (fx) => fm.linearCombination(null, [fx.t(), fx.t()], [1]));
add('linearCombination with a NaN coefficient', (fx) => fm.linearCombination(null, [fx.t()], [NaN]));
add('linearCombination with a disposed base', (fx) => fm.linearCombination(fx.disposed(), [fx.t()], [1]));
add('linearCombination of mismatched shapes', (fx) => fm.linearCombination(null, [fx.t([4, 2]), fx.t([3])], [1, 1]));
add('errorRatio of null', (fx) => fm.errorRatio(null as never, fx.t(), fx.t(), 1e-3, 1e-3));
add('errorRatio with rtol NaN', (fx) => fm.errorRatio(fx.t(), fx.t(), fx.t(), NaN, 1e-3));
add('errorRatio of mismatched shapes', (fx) => fm.errorRatio(fx.t([4, 2]), fx.t([3]), fx.t([4, 2]), 1e-3, 1e-3));
add('rmsNorm of null', () => fm.rmsNorm(null as never));
add('rmsNorm of a disposed tensor', (fx) => fm.rmsNorm(fx.disposed()));
add('allFinite of a number', () => fm.allFinite(1 as never));

// ---- nn ---------------------------------------------------------------------------------------------------

const BAD_MLP: [string, unknown][] = [
  ['null config', null],
  ['config 2', 2],
  ['an array config', [2]],
  ['dim -1', { dim: -1 }],
  ['dim NaN', { dim: NaN }],
  ['dim missing', { width: 4 }],
  ['depth 1e6', { dim: 2, width: 2, depth: 1e6 }],
  ['width 1e9', { dim: 2, width: 1e9, depth: 2 }],
  ['hidden "64,64"', { dim: 2, hidden: '64,64' }],
  ['hidden with 0', { dim: 2, hidden: [0] }],
  ['hidden and width both', { dim: 2, hidden: [4], width: 4 }],
  ['activation "swish"', { dim: 2, activation: 'swish' }],
  ['timeEmbedding "learned"', { dim: 2, timeEmbedding: 'learned' }],
  ['timeEmbedDim 0', { dim: 2, timeEmbedding: 'sinusoidal', timeEmbedDim: 0 }],
  ['an unknown key', { dim: 2, layers: 3 }],
  ['both dim keys spelled twice', { dim: 2, time_embed_dim: 4, timeEmbedDim: 8, timeEmbedding: 'sinusoidal' }],
];
for (const [what, config] of BAD_MLP) add(`createMLP with ${what}`, () => fm.createMLP(config as never));
add('createMLP with a dim getter that throws', (fx) => fm.createMLP(fx.throwingGetter('dim') as never));
add('createMLP with a Proxy config', (fx) => fm.createMLP(fx.hostileProxy() as never));
const BAD_UNET: [string, unknown][] = [
  ['null config', null],
  ['config "small"', 'small'],
  ['modelChannels -1', { modelChannels: -1 }],
  ['modelChannels 1e6', { modelChannels: 1e6, numResBlocks: 1 }],
  ['numResBlocks 1e6', { modelChannels: 8, numResBlocks: 1e6 }],
  ['channelMult "a,b"', { channelMult: 'a,b' }],
  ['channelMult []', { channelMult: [] }],
  ['attentionResolutions "16,8" without imageSize', { attentionResolutions: '16,8' }],
  ['dropout 2', { dropout: 2 }],
  ['numClasses -3', { numClasses: -3 }],
  ['numHeads 0', { numHeads: 0 }],
  ['numHeadChannels 3 with 8 channels', { modelChannels: 8, numHeadChannels: 3, attentionResolutions: [1] }],
  ['inChannels 0', { inChannels: 0 }],
  ['an unknown key', { layers: 3 }],
];
for (const [what, config] of BAD_UNET) add(`createUNet with ${what}`, () => fm.createUNet(config as never));
add('UNet constructor with no arguments', () => new (fm.UNet as unknown as new () => unknown)());
add('UNet constructor with id "x" and a null config', () => new (fm.UNet as unknown as new (a: unknown, b: unknown) => unknown)('x', null));
add('UNet constructor with a config object only', () => new (fm.UNet as unknown as new (a: unknown) => unknown)({ modelChannels: 8 }));
add('Module.forward with null x', (fx) => fx.mlp().forward(null as never, fx.t([4])));
add('Module.forward with x of the wrong width', (fx) => fx.mlp().forward(fx.t([4, 5]), fx.t([4])));
add('Module.forward with t of the wrong length', (fx) => fx.mlp().forward(fx.t([4, 2]), fx.t([3])));
add('Module.forward with null conditioning', (fx) => fx.mlp().forward(fx.t([4, 2]), fx.t([4]), null as never));
add('Module.forward with float labels', (fx) => fx.mlp().forward(fx.t([4, 2]), fx.t([4]), { labels: fx.t([4]) }));
add('Module.forward with autocast "int8"', (fx) => fx.mlp().forward(fx.t([4, 2]), fx.t([4]), {}, { autocast: 'int8' as never }));
add('Module.forward after dispose', (fx) => {
  const m = fm.createMLP({ dim: 2, width: 4, depth: 1 });
  m.dispose();
  return m.forward(fx.t(), fx.t([4]));
});
add('Module.forwardAsync with a disposed x', (fx) => fx.mlp().forwardAsync(fx.disposed(), fx.t([4])));
add('Module.loadStateDict of null', (fx) => fx.mlp().loadStateDict(null as never));
add('Module.loadStateDict with a number value', (fx) => fx.mlp().loadStateDict({ 'net.0.weight': 5 } as never));
add('Module.loadStateDict missing every key', (fx) => fx.mlp().loadStateDict({}));
add('Module.loadStateDict with a wrong shape', (fx) => {
  const m = fx.mlp();
  const [name] = m.namedParameters()[0];
  return m.loadStateDict({ [name]: fx.t([1]) }, { strict: false });
});
add('Module.loadStateDict with strict "no"', (fx) => fx.mlp().loadStateDict({}, { strict: 'no' as never }));
add('Module.loadStateDict with null options', (fx) => fx.mlp().loadStateDict({}, null as never));
add('Module.loadStateDict with a key named __proto__', (fx) => fx.mlp().loadStateDict(JSON.parse('{"__proto__": 1}')));
add('Module.to "tpu"', (fx) => fx.mlp().to('tpu' as never));
add('Module.train with mode "on"', (fx) => fx.mlp().train('on' as never));
add('Module.save under a file', (fx) => fx.mlp().save(fx.file('underFile')));
add('Module.save to a directory', (fx) => fx.mlp().save(fx.file('folder')));
add('loadTorchScript with null options', (fx) => fm.loadTorchScript(fx.file('garbage'), null as never));

// ---- optim ----------------------------------------------------------------------------------------------

const params = (fx: Fixtures): fm.Tensor[] => [fx.t([2, 2], { requiresGrad: true })];
const optimizers: [string, (p: unknown, o?: unknown) => unknown][] = [
  ['Adam', (p, o) => new fm.Adam(p as never, o as never)],
  ['AdamW', (p, o) => new fm.AdamW(p as never, o as never)],
  ['SGD', (p, o) => new fm.SGD(p as never, o as never)],
];
for (const [oname, make] of optimizers) {
  add(`${oname} of null`, () => make(null));
  add(`${oname} of no parameters`, () => make([]));
  add(`${oname} of a tensor that does not require grad`, (fx) => make([fx.t()]));
  add(`${oname} of int64 tensors`, (fx) => make([fx.ints()]));
  add(`${oname} of a disposed parameter`, (fx) => make([fx.disposed()]));
  add(`${oname} with null options`, (fx) => make(params(fx), null));
  add(`${oname} with lr -1`, (fx) => make(params(fx), { lr: -1 }));
  add(`${oname} with lr NaN`, (fx) => make(params(fx), { lr: NaN }));
  add(`${oname} with a Proxy of options`, (fx) => make(params(fx), fx.hostileProxy()));
  add(`${oname} with weightDecay Infinity`, (fx) => make(params(fx), { weightDecay: Infinity }));
}
add('Adam with betas null', (fx) => new fm.Adam(params(fx), { betas: null as never }));
add('Adam with betas [2, 0.9]', (fx) => new fm.Adam(params(fx), { betas: [2, 0.9] }));
add('Adam with eps "tiny"', (fx) => new fm.Adam(params(fx), { eps: 'tiny' as never }));
add('SGD with momentum -1', (fx) => new fm.SGD(params(fx), { lr: 0.1, momentum: -1 } as never));
add('SGD with nesterov and no momentum', (fx) => new fm.SGD(params(fx), { lr: 0.1, nesterov: true } as never));
add('Optimizer.setLR(NaN)', (fx) => {
  const o = new fm.SGD(params(fx), { lr: 0.1 } as never);
  try {
    o.setLR(NaN);
  } finally {
    o.dispose();
  }
});
add('Optimizer.step after dispose', (fx) => {
  const o = new fm.Adam(params(fx));
  o.dispose();
  o.step();
});
add('Optimizer.loadStateDict of null', (fx) => {
  const o = new fm.Adam(params(fx));
  try {
    return (o as unknown as { loadStateDict(s: unknown): unknown }).loadStateDict(null);
  } finally {
    o.dispose();
  }
});
add('EMA of null', () => new fm.EMA(null as never));
add('EMA with null options', (fx) => new fm.EMA(params(fx), null as never));
add('EMA with decay 2', (fx) => new fm.EMA(params(fx), { decay: 2 }));
add('EMA with warmup "yes"', (fx) => new fm.EMA(params(fx), { warmup: 'yes' as never }));
add('EMA.decayAt(-1)', (fx) => {
  const e = new fm.EMA(params(fx));
  try {
    return e.decayAt(-1);
  } finally {
    e.dispose();
  }
});
add('clipGradNorm of null', () => fm.clipGradNorm(null as never, 1));
add('clipGradNorm with maxNorm NaN', (fx) => fm.clipGradNorm(params(fx), NaN));
add('clipGradNorm with normType "l2"', (fx) => fm.clipGradNorm(params(fx), 1, 'l2' as never));
add('constantLR(NaN)', () => fm.constantLR(NaN));
add('constantLR("0.1")', () => fm.constantLR('0.1' as never));
add('linearWarmup with 0 warm-up steps', () => fm.linearWarmup(0.1, 0));
add('cosineDecay of null', () => fm.cosineDecay(null as never));
add('cosineDecay of a number', () => fm.cosineDecay(3 as never));
add('cosineDecay with totalSteps 0', () => fm.cosineDecay({ lr: 0.1, totalSteps: 0 }));
add('cosineDecay with warm-up past the total', () => fm.cosineDecay({ lr: 0.1, totalSteps: 5, warmupSteps: 9 }));
add('a cosineDecay schedule called with NaN', () => fm.cosineDecay({ lr: 0.1, totalSteps: 5 })(NaN));
add('a linearWarmup schedule called with "3"', () => fm.linearWarmup(0.1, 2)('3' as never));

// ---- io --------------------------------------------------------------------------------------------------

add('serializeSafetensors of null', () => fm.serializeSafetensors(null as never));
add('serializeSafetensors with a number entry', () => fm.serializeSafetensors({ a: 5 } as never));
add('serializeSafetensors with a disposed entry', (fx) => fm.serializeSafetensors({ a: fx.disposed() }));
add('serializeSafetensors with null metadata', (fx) => fm.serializeSafetensors({ a: fx.t() }, null as never));
add('serializeSafetensors with numeric metadata', (fx) => fm.serializeSafetensors({ a: fx.t() }, { k: 5 } as never));
add('serializeSafetensors with an entry getter that throws', (fx) => fm.serializeSafetensors(fx.throwingGetter('a') as never));
add('deserializeSafetensors of null', () => fm.deserializeSafetensors(null as never));
add('deserializeSafetensors of a string', () => fm.deserializeSafetensors('abc' as never));
add('deserializeSafetensors of 3 bytes', () => fm.deserializeSafetensors(new Uint8Array(3)));
add('deserializeSafetensors of a header that is not JSON', () => {
  const b = Buffer.alloc(12);
  b.writeBigUInt64LE(4n);
  b.write('{abc', 8);
  return fm.deserializeSafetensors(b);
});
add('deserializeSafetensors of a header with offsets past the end', () => {
  const json = JSON.stringify({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } });
  const b = Buffer.alloc(8 + json.length);
  b.writeBigUInt64LE(BigInt(json.length));
  b.write(json, 8);
  return fm.deserializeSafetensors(b);
});
add('deserializeSafetensors of a header with a huge shape', () => {
  const json = JSON.stringify({ a: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 0] } });
  const b = Buffer.alloc(8 + json.length);
  b.writeBigUInt64LE(BigInt(json.length));
  b.write(json, 8);
  return fm.deserializeSafetensors(b);
});
add('deserializeSafetensors of a header with dtype "F8"', () => {
  const json = JSON.stringify({ a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } });
  const b = Buffer.alloc(8 + json.length + 1);
  b.writeBigUInt64LE(BigInt(json.length));
  b.write(json, 8);
  return fm.deserializeSafetensors(b);
});
add('deserializeSafetensors of a header that is an array', () => {
  const json = '[1,2]';
  const b = Buffer.alloc(8 + json.length);
  b.writeBigUInt64LE(BigInt(json.length));
  b.write(json, 8);
  return fm.deserializeSafetensors(b);
});
add('parseSafetensorsHeader of null', () => fm.parseSafetensorsHeader(null as never));
add('parseSafetensorsHeader with a file name 5', () => fm.parseSafetensorsHeader(new Uint8Array(16), 5 as never));
add('saveSafetensors under a file', (fx) => fm.saveSafetensors(fx.file('underFile'), { a: fx.t() }));
add('saveSafetensors to a directory', (fx) => fm.saveSafetensors(fx.file('folder'), { a: fx.t() }));
add('saveSafetensors to null', (fx) => fm.saveSafetensors(null as never, { a: fx.t() }));
add('saveSafetensors to /proc/x', (fx) => fm.saveSafetensors('/proc/x/y.safetensors', { a: fx.t() }));
add('encodePng of null', () => fm.encodePng(null as never));
add('encodePng with width -1', () => fm.encodePng({ width: -1, height: 1, channels: 1, data: new Uint8Array(1) } as never));
add('encodePng with too little data', () => fm.encodePng({ width: 4, height: 4, channels: 3, data: new Uint8Array(5) } as never));
add('encodePng with 2 channels of strings', () => fm.encodePng({ width: 1, height: 1, channels: 'rgb', data: [1] } as never));
add('encodePng with width 1e9', () => fm.encodePng({ width: 1e9, height: 1e9, channels: 1, data: new Uint8Array(1) } as never));
add('decodePng of null', () => fm.decodePng(null as never));
add('decodePng of garbage', () => fm.decodePng(new Uint8Array(100).fill(7)));
add('decodePng of a PNG signature only', () => fm.decodePng(Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10])));
add('decodePng of a string', () => fm.decodePng('png' as never));
const image = { width: 1, height: 1, channels: 1, data: new Uint8Array(1) };
add('writePng under a file', (fx) => fm.writePng(fx.file('underFile'), image as never));
add('writePng into a missing folder', (fx) => fm.writePng(fx.file('missing'), image as never));
add('writePng to a directory', (fx) => fm.writePng(fx.file('folder'), image as never));
add('writePng of null', (fx) => fm.writePng(`${fx.dir}/x.png`, null as never));
add('writePng to path 5', () => fm.writePng(5 as never, image as never));

// ---- metrics ---------------------------------------------------------------------------------------------

add('gaussianStats of null', () => fm.gaussianStats(null as never));
add('gaussianStats of one row', (fx) => fm.gaussianStats(fx.t([1, 3])));
add('frechetDistance of nulls', () => fm.frechetDistance(null as never, null as never, null as never, null as never));
add('frechetDistance of mismatched dims', (fx) => fm.frechetDistance(fx.t([2]), fx.t([2, 2]), fx.t([3]), fx.t([3, 3])));
add('fid of null', (fx) => fm.fid(null as never, fx.t()));
add('fid of mismatched feature widths', (fx) => fm.fid(fx.t([4, 2]), fx.t([4, 3])));
add('wasserstein of null', (fx) => fm.wasserstein(null as never, fx.t()));
add('wasserstein with null options', (fx) => fm.wasserstein(fx.t(), fx.t(), null as never));
add('wasserstein with p 3', (fx) => fm.wasserstein(fx.t(), fx.t(), { p: 3 as never }));
add('wasserstein with maxPoints 0', (fx) => fm.wasserstein(fx.t(), fx.t(), { maxPoints: 0 }));
add('wasserstein of mismatched widths', (fx) => fm.wasserstein(fx.t([4, 2]), fx.t([4, 3])));
add('wasserstein with seed NaN', (fx) => fm.wasserstein(fx.t(), fx.t(), { seed: NaN }));
add('mmd of null', (fx) => fm.mmd(null as never, fx.t()));
add('mmd with null options', (fx) => fm.mmd(fx.t(), fx.t(), null as never));
add('mmd with bandwidth -1', (fx) => fm.mmd(fx.t(), fx.t(), { bandwidth: -1 } as never));
add('psnr of null', (fx) => fm.psnr(null as never, fx.t([1, 1, 2, 2])));
add('psnr of 2-D tensors', (fx) => fm.psnr(fx.t(), fx.t()));
add('psnr with null options', (fx) => fm.psnr(fx.t([1, 1, 2, 2]), fx.t([1, 1, 2, 2]), null as never));
add('psnr with dataRange 0', (fx) => fm.psnr(fx.t([1, 1, 2, 2]), fx.t([1, 1, 2, 2]), { dataRange: 0 }));
add('ssim of mismatched shapes', (fx) => fm.ssim(fx.t([1, 1, 8, 8]), fx.t([1, 1, 8, 4])));
add('ssim with reduction "max"', (fx) => fm.ssim(fx.t([1, 1, 8, 8]), fx.t([1, 1, 8, 8]), { reduction: 'max' as never }));
add('solveAssignment of null', () => fm.solveAssignment(null as never, 2));
add('solveAssignment with n not matching the cost', () => fm.solveAssignment(new Float64Array(3), 2));
add('solveAssignment with NaN costs', () => fm.solveAssignment(new Float64Array(4).fill(NaN), 2));
add('solveAssignment with n = -1', () => fm.solveAssignment(new Float64Array(1), -1));
add('functionExtractor of null', () => fm.functionExtractor(null as never));
add('extractFeatures with a null extractor', (fx) => fm.extractFeatures(null as never, fx.t()));
add('extractFeatures with batchSize 0', (fx) => fm.extractFeatures(fm.functionExtractor((x) => x.flatten(1)), fx.t(), 0));
add('extractFeatures with an extractor returning null', (fx) => fm.extractFeatures(fm.functionExtractor((() => null) as never), fx.t()));
add('torchScriptExtractor of null', () => fm.torchScriptExtractor(null as never));
add('trainFashionClassifier with null options', () => fm.trainFashionClassifier(null as never));
add('trainFashionClassifier with epochs -1', () => fm.trainFashionClassifier({ epochs: -1 } as never));

// ---- plot -------------------------------------------------------------------------------------------------

add('imageGrid of null', () => fm.imageGrid(null as never));
add('imageGrid of a 2-D tensor', (fx) => fm.imageGrid(fx.t()));
add('imageGrid with null options', (fx) => fm.imageGrid(fx.t([1, 1, 2, 2]), null as never));
add('imageGrid with nrow 0', (fx) => fm.imageGrid(fx.t([1, 1, 2, 2]), { nrow: 0 }));
add('imageGrid with scale 1e6', (fx) => fm.imageGrid(fx.t([1, 1, 2, 2]), { scale: 1e6 }));
add('imageGrid with padding 1e9', (fx) => fm.imageGrid(fx.t([1, 1, 2, 2]), { padding: 1e9 }));
add('imageGrid with valueRange [1, 0]', (fx) => fm.imageGrid(fx.t([1, 1, 2, 2]), { valueRange: [1, 0] }));
add('scatterPlot of null', () => fm.scatterPlot(null as never));
add('scatterPlot of [4, 3] points', (fx) => fm.scatterPlot(fx.t([4, 3])));
add('scatterPlot with null options', (fx) => fm.scatterPlot(fx.t(), null as never));
add('scatterPlot with width 1e9', (fx) => fm.scatterPlot(fx.t(), { width: 1e9 } as never));
add('scatterPlot with range NaN', (fx) => fm.scatterPlot(fx.t(), { range: [NaN, 1] } as never));
add('scatterPlot of a set without points', () => fm.scatterPlot([{ label: 'x' }] as never));
add('densityHeatmap of null', () => fm.densityHeatmap(null as never));
add('densityHeatmap with null options', (fx) => fm.densityHeatmap(fx.t(), null as never));
add('densityHeatmap with resolution 0', () => fm.densityHeatmap((p) => p.sum(1), { range: [[0, 1], [0, 1]], resolution: 0 }));
add('densityHeatmap with a function returning null', () => fm.densityHeatmap((() => null) as never));
add('densityHeatmap with a function that throws', (fx) => {
  const e = fx.userError();
  return fm.densityHeatmap(() => { throw e; });
});
add('trajectoryPlot of null', () => fm.trajectoryPlot(null as never));
add('trajectoryPlot of a set with a 2-D trajectory', (fx) => fm.trajectoryPlot([{ trajectory: fx.t() } as never]));
add('trajectoryPlot with null options', () => fm.trajectoryPlot([], null as never));
add('lineChart of null', () => fm.lineChart(null as never));
add('lineChart of a series with strings', () => fm.lineChart([{ label: 'a', y: ['1', '2'] }] as never));
add('lineChart with null options', () => fm.lineChart([], null as never));
add('lineChart with logY and a negative value', () => fm.lineChart([{ label: 'a', x: [1, 2], y: [-1, 2] }] as never, { logY: true } as never));
add('viridis of a string', () => fm.viridis('0.5' as never));
add('seriesColor of NaN', () => fm.seriesColor(NaN));

// ---- ProgressBar, train, checkpoints -------------------------------------------------------------------

add('ProgressBar of null', () => new fm.ProgressBar(null as never));
add('ProgressBar without options', () => new (fm.ProgressBar as unknown as new () => unknown)());
add('ProgressBar with total NaN', () => new fm.ProgressBar({ total: NaN }));
add('ProgressBar with total -1', () => new fm.ProgressBar({ total: -1 }));
add('ProgressBar with stream 5', () => new fm.ProgressBar({ total: 3, stream: 5 as never, enabled: true }));
add('ProgressBar with enabled "yes"', () => new fm.ProgressBar({ total: 3, enabled: 'yes' as never }));
add('ProgressBar with label 7', () => new fm.ProgressBar({ total: 3, label: 7 as never }));
add('ProgressBar.update with a string', () => new fm.ProgressBar({ total: 3, enabled: false }).update('2' as never));
add('ProgressBar.update with info 5', () => new fm.ProgressBar({ total: 3, enabled: false }).update(1, 5 as never));
add('ProgressBar with a total getter that throws', (fx) => new fm.ProgressBar(fx.throwingGetter('total') as never));
const trainOpts = (fx: Fixtures, extra: Record<string, unknown>): fm.TrainOptions =>
  ({ model: fx.mlp(), path: fm.otPath(), data: () => ({ x: fx.t() }), steps: 1, progress: false, ema: false, ...extra }) as never;
add('train of null', () => fm.train(null as never));
add('train of an empty object', () => fm.train({} as never));
add('train with a null model', (fx) => fm.train(trainOpts(fx, { model: null })));
add('train with steps -1', (fx) => fm.train(trainOpts(fx, { steps: -1 })));
add('train with steps 1e12', (fx) => fm.train(trainOpts(fx, { steps: 1e12, data: null })));
add('train with data 5', (fx) => fm.train(trainOpts(fx, { data: 5 })));
add('train with data returning null', (fx) => fm.train(trainOpts(fx, { data: () => null })));
add('train with outDir /proc/x', (fx) => fm.train(trainOpts(fx, { outDir: '/proc/x' })));
add('train with outDir under a file', (fx) => fm.train(trainOpts(fx, { outDir: fx.file('underFile') })));
add('train with outDir 5', (fx) => fm.train(trainOpts(fx, { outDir: 5 })));
add('train with resume and no checkpoint', (fx) => fm.train(trainOpts(fx, { outDir: `${fx.dir}/run-${process.pid}-${Date.now()}`, resume: true })));
add('train with null optimizer config', (fx) => fm.train(trainOpts(fx, { optimizer: null })));
add('train with optimizer lr -1', (fx) => fm.train(trainOpts(fx, { optimizer: { lr: -1 } })));
add('train with null schedule config', (fx) => fm.train(trainOpts(fx, { schedule: null })));
add('train with clipGradNorm NaN', (fx) => fm.train(trainOpts(fx, { clipGradNorm: NaN })));
add('train with ema null', (fx) => fm.train(trainOpts(fx, { ema: null })));
add('train with labelDropout 2', (fx) => fm.train(trainOpts(fx, { labelDropout: 2 })));
add('train with checkpointEvery 0', (fx) => fm.train(trainOpts(fx, { checkpointEvery: 0, outDir: `${fx.dir}/ck` })));
add('train with signal 5', (fx) => fm.train(trainOpts(fx, { signal: 5 })));
add('train with callbacks null', (fx) => fm.train(trainOpts(fx, { callbacks: null })));
add('train with a callback of every 0', (fx) => fm.train(trainOpts(fx, { callbacks: [{ every: 0, fn: () => undefined }] })));
add('train with onStep 5', (fx) => fm.train(trainOpts(fx, { onStep: 5 })));
add('train with a model getter that throws', (fx) => fm.train(fx.throwingGetter('model') as never));
add('saveCheckpoint under a file', (fx) => fm.saveCheckpoint(fx.file('underFile'), { step: 1 } as never));
add('saveCheckpoint of null contents', (fx) => fm.saveCheckpoint(`${fx.dir}/c.safetensors`, null as never));
add('readMetrics of /proc/self/mem', () => fm.readMetrics('/proc/self/mem'));

// ---- found by the fuzz: each once a TypeError or a leaked tensor ------------------------------------

add('where with a scalar x and an object y', (fx) => fm.where(fx.own(fx.t().gt(0)), 1, {} as never));
add('where with a scalar x and a y too large for int64', (fx) => fm.where(fx.own(fx.t().gt(0)), false, 1e300));
add('dropout with p an object', (fx) => fm.dropout(fx.t(), {} as never));
add('dropout with p a Symbol', (fx) => fm.dropout(fx.t(), Symbol('p') as never));
add('onesLike of an int64 tensor with requiresGrad', (fx) => fm.onesLike(fx.ints(), { requiresGrad: true }));
add('zeros of int64 with requiresGrad', () => fm.zeros([2], { dtype: 'int64', requiresGrad: true }));
add('cosineDecay of undefined', () => fm.cosineDecay(undefined as never));
add('insideCheckerboard of null', () => fm.insideCheckerboard(null as never));
add('insideCheckerboard of a number', () => fm.insideCheckerboard(3 as never));
add('scatterPlot of a sparse array', () => fm.scatterPlot(new Array(3) as never));
add('scatterPlot of [null]', () => fm.scatterPlot([null] as never));
add('x1ToVelocity with a null xt', (fx) => fm.vpDiffusionPath().x1ToVelocity(fx.t(), null as never, 0.5));
add('x1ToVelocity with an object xt', (fx) => fm.vpDiffusionPath().x1ToVelocity(fx.t(), {} as never, fx.t([4])));
add('GaussianMixture.sample with null options', () => fm.EIGHT_GAUSSIANS.sample(2, null as never));
add('DataLoader.batches with null options', (fx) => new fm.DataLoader({ x: fx.t() }, { batchSize: 2 }).batches(null as never).next());
add('Module.loadStateDict of a Map with a number value', (fx) => fx.mlp().loadStateDict(new Map([['a', 1]]) as never));
add('seededPermutation with stream -1', () => fm.seededPermutation(4, 0, -1));
add('likelihood with hutchinson and probes 1e9', (fx) => fm.likelihood(fx.mlp(), fx.t(), { divergence: 'hutchinson', probes: 1e9, method: 'euler', steps: 2 }));
