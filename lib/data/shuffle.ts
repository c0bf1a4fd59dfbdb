/**
 * Seeded permutations for shuffling, independent of libtorch's global generator so that the
 * order of an epoch depends only on (seed, epoch): a run resumed at any step sees the same
 * batches, whatever else drew random numbers in between.
 */
import { checkInt } from '../validate';

/** A 32-bit avalanche mix (MurmurHash3's finaliser): nearby inputs give unrelated outputs. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform doubles in [0, 1) from a counter-based stream keyed by (seed, stream). */
function uniformStream(seed: number, stream: number): () => number {
  const key = mix32(mix32(seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b9) ^ Math.floor(seed / 2 ** 32));
  let counter = 0;
  return () => {
    const high = mix32(key ^ mix32(counter++));
    const low = mix32(key + Math.imul(counter++, 0x9e3779b9));
    return (high * 2 ** 21 + (low >>> 11)) / 2 ** 53;
  };
}

/** A uniformly random permutation of 0..n−1 (Fisher–Yates), fixed by (seed, stream). */
export function seededPermutation(n: number, seed: number, stream = 0): Int32Array {
  // Indices are int32; a longer permutation could not be held (nor used to index a batch).
  checkInt(n, 'n', 0, 2 ** 31 - 1);
  checkInt(seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
  checkInt(stream, 'stream', 0, Number.MAX_SAFE_INTEGER);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const next = uniformStream(seed, stream);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const held = order[i];
    order[i] = order[j];
    order[j] = held;
  }
  return order;
}
