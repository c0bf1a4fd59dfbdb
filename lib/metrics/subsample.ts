/**
 * Reproducible subsets for metrics that cannot afford every point: a seeded generator
 * independent of libtorch's global RNG, so that evaluating never disturbs training's
 * random stream and the same seed always picks the same points.
 */
import { checkInt } from '../validate';

/** A uniform generator on [0, 1) from a 32-bit seed (mulberry32: small, fast, well mixed for this use). */
export function seededRandom(seed: number): () => number {
  let state = checkInt(seed, 'seed') >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** `k` distinct indices out of 0..n−1, uniformly (partial Fisher–Yates). */
export function sampleWithoutReplacement(n: number, k: number, random: () => number): Int32Array {
  checkInt(n, 'n', 0);
  checkInt(k, 'k', 0, n);
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  return pool.slice(0, k);
}
