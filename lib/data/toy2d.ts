/**
 * Two-dimensional toy distributions, following the conventions of FFJORD's toy_data.py
 * (Grathwohl et al. 2019), which Meta's flow_matching examples also use. Each returns
 * float32 [n, 2] drawn from flowmatch's RNG: call manualSeed(s) first for repeatable draws.
 * Differences from FFJORD: angles along moons and circles are uniform at random rather than
 * evenly spaced, and pinwheel rows cycle through the arms rather than being permuted.
 */
import { Tensor, asTensor } from '../tensor';
import { arange, rand, randint, randn, tensor } from '../creation';
import { stack } from '../functional';
import { tidy } from '../scope';
import { checkInt, checkOneOf, checkOptions, fail } from '../validate';
import type { Device } from '../device';
import { GaussianMixture } from './gaussian-mixture';

export interface ToyOptions {
  device?: Device;
}

/**
 * Checkerboard: uniform on the 8 dark squares of a 4×4 board of side-2 squares covering
 * [−4, 4]²; the square [a, a+2)×[b, b+2) is dark when (a + b)/2 is even, so (−4, −4) and
 * (2, 2) are dark corners. See insideCheckerboard.
 */
export function checkerboard(n: number, opts: ToyOptions = {}): Tensor {
  const o = { device: checkOptions(opts, 'options').device };
  return tidy(() => {
    const x = rand([checkInt(n, 'n', 0)], o).mul(4).sub(2);
    const yInColumn = rand([n], o).sub(randint(0, 2, [n], o).mul(2));
    const y = yInColumn.add(x.floor().remainder(2));
    return stack([x, y], 1).mul(2);
  });
}

/** Whether each point [n, 2] lies on a dark square of checkerboard(): bool [n]. */
export function insideCheckerboard(points: Tensor): Tensor<'bool'> {
  const shape = asTensor(points, 'points').shape;
  if (shape.length !== 2 || shape[1] !== 2) fail('points of shape [n, 2]', 'points', shape);
  return tidy(() => {
    const cell = points.div(2).floor();
    const onBoard = cell.ge(-2).logicalAnd(cell.le(1)).sum(1).eq(2);
    return cell.sum(1).remainder(2).eq(0).logicalAnd(onBoard);
  });
}

/**
 * Eight Gaussians: centres 4·(cos kπ/4, sin kπ/4)/1.414, standard deviation 0.5/1.414,
 * equal weights (FFJORD's scale 4, noise 0.5, then the whole set divided by 1.414).
 */
export const EIGHT_GAUSSIANS = new GaussianMixture({
  means: Array.from({ length: 8 }, (_, k) => [(4 * Math.cos((k * Math.PI) / 4)) / 1.414, (4 * Math.sin((k * Math.PI) / 4)) / 1.414]),
  stds: 0.5 / 1.414,
});

export function eightGaussians(n: number, opts: ToyOptions = {}): Tensor {
  return EIGHT_GAUSSIANS.sample(checkInt(n, 'n', 0), checkOptions(opts, 'options'));
}

/**
 * Two moons (sklearn's make_moons, noise 0.1, then ×2 + (−1, −0.2)): half the points on the
 * upper unit half-circle around (0, 0), half on the lower one around (1, 0.5), Gaussian
 * noise 0.1 before scaling.
 */
export function moons(n: number, opts: ToyOptions & { noise?: number } = {}): Tensor {
  const o = { device: checkOptions(opts, 'options').device };
  const noise = opts.noise ?? 0.1;
  return tidy(() => {
    const upper = arange(checkInt(n, 'n', 0), undefined, 1, o).lt(Math.ceil(n / 2)).to('float32');
    const angle = rand([n], o).mul(Math.PI);
    const sign = upper.mul(2).sub(1);
    const x = angle.cos().mul(sign).add(upper.neg().add(1));
    const y = angle.sin().mul(sign).add(upper.neg().add(1).mul(0.5));
    const points = stack([x, y], 1).add(randn([n, 2], o).mul(noise));
    return points.mul(2).add(tensor([[-1, -0.2]], { device: opts.device, dtype: 'float32' }));
  });
}

/**
 * Concentric circles (sklearn's make_circles, factor 0.5, noise 0.08, then ×3): half the
 * points near radius 3, half near 1.5, Gaussian noise 0.24 after scaling.
 */
export function circles(n: number, opts: ToyOptions & { noise?: number } = {}): Tensor {
  const o = { device: checkOptions(opts, 'options').device };
  const noise = opts.noise ?? 0.08;
  return tidy(() => {
    const outer = arange(checkInt(n, 'n', 0), undefined, 1, o).lt(Math.ceil(n / 2)).to('float32');
    const radius = outer.mul(0.5).add(0.5);
    const angle = rand([n], o).mul(2 * Math.PI);
    const points = stack([angle.cos().mul(radius), angle.sin().mul(radius)], 1).add(randn([n, 2], o).mul(noise));
    return points.mul(3);
  });
}

/**
 * Swiss roll (sklearn's make_swiss_roll, noise 1, the (x, z) plane, then ÷5): s uniform in
 * [1.5π, 4.5π], point (s·cos s, s·sin s) + N(0, 1) noise, all divided by 5.
 */
export function swissRoll(n: number, opts: ToyOptions & { noise?: number } = {}): Tensor {
  const o = { device: checkOptions(opts, 'options').device };
  const noise = opts.noise ?? 1;
  return tidy(() => {
    const s = rand([checkInt(n, 'n', 0)], o).mul(3 * Math.PI).add(1.5 * Math.PI);
    return stack([s.mul(s.cos()), s.mul(s.sin())], 1).add(randn([n, 2], o).mul(noise)).div(5);
  });
}

/**
 * Two spirals: m = sqrt(u)·3π (u uniform; 540° of turn), arm (−m·cos m, m·sin m) plus
 * uniform [0, 0.5)² jitter, the second half point-reflected, all ÷3, plus N(0, 0.1²) noise.
 */
export function twoSpirals(n: number, opts: ToyOptions = {}): Tensor {
  const o = { device: checkOptions(opts, 'options').device };
  return tidy(() => {
    const m = rand([checkInt(n, 'n', 0)], o).sqrt().mul(3 * Math.PI);
    const arm = stack([m.cos().mul(m).neg(), m.sin().mul(m)], 1).add(rand([n, 2], o).mul(0.5));
    const sign = arange(n, undefined, 1, o).lt(Math.ceil(n / 2)).to('float32').mul(2).sub(1).unsqueeze(1);
    return arm.mul(sign).div(3).add(randn([n, 2], o).mul(0.1));
  });
}

/**
 * Pinwheel: 5 arms; a point is (1 + 0.3·z1, 0.1·z2), rotated clockwise by 2πk/5 + 0.25·exp(1 + 0.3·z1)
 * for arm k, then ×2. Row i belongs to arm i mod 5.
 */
export function pinwheel(n: number, opts: ToyOptions = {}): Tensor {
  const o = { device: checkOptions(opts, 'options').device };
  return tidy(() => {
    const z = randn([checkInt(n, 'n', 0), 2], o);
    const radial = z.select(1, 0).mul(0.3).add(1);
    const tangential = z.select(1, 1).mul(0.1);
    const arm = arange(n, undefined, 1, o).remainder(5).to('float32');
    const angle = arm.mul((2 * Math.PI) / 5).add(radial.exp().mul(0.25));
    const cos = angle.cos(), sin = angle.sin();
    return stack([radial.mul(cos).add(tangential.mul(sin)), tangential.mul(cos).sub(radial.mul(sin))], 1).mul(2);
  });
}

export const TOY_DATASETS = ['checkerboard', '8gaussians', 'moons', 'circles', 'swissroll', '2spirals', 'pinwheel'] as const;
export type ToyName = (typeof TOY_DATASETS)[number];

const SAMPLERS: Record<ToyName, (n: number, opts: ToyOptions) => Tensor> = {
  checkerboard, '8gaussians': eightGaussians, moons, circles, swissroll: swissRoll, '2spirals': twoSpirals, pinwheel,
};

/** A toy by its FFJORD name. */
export function sampleToy(name: ToyName, n: number, opts: ToyOptions = {}): Tensor {
  return SAMPLERS[checkOneOf(name, TOY_DATASETS, 'name')](n, opts);
}
