// The CPU caching allocator (native/cpu_cache_allocator.cpp): large blocks are reused, the
// results computed in reused memory are the same as in fresh memory, the cache respects its
// limit, and FLOWMATCH_CPU_CACHE_MB=0 turns it off. Serial: the counters are process-wide.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as fm from '../lib/index';

const MB = 1024 * 1024;
// 4 MiB of float32: far above the 4 KiB below which blocks are left to glibc.
const N = 1 << 20;

/** Runs a snippet in a fresh Node process with the given environment; returns its JSON output. */
function child(code: string, env: Record<string, string>): unknown {
  const lib = path.join(__dirname, '..', 'lib', 'index.ts');
  const script = `const fm = require(${JSON.stringify(lib)}); ${code}`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

test.serial('a freed large block is kept and handed out again for the same size', (t) => {
  fm.emptyCache();
  const start = fm.cpuCacheStats();
  t.true(start.enabled);
  t.is(start.cachedBytes, 0);

  const a = fm.zeros([N]);
  const afterAlloc = fm.cpuCacheStats();
  t.true(afterAlloc.inUseBytes - start.inUseBytes >= 4 * MB);
  a.dispose();
  const afterFree = fm.cpuCacheStats();
  t.true(afterFree.cachedBytes >= 4 * MB, `cached ${afterFree.cachedBytes}`);

  const b = fm.zeros([N]);
  const reused = fm.cpuCacheStats();
  t.is(reused.hits - afterFree.hits, 1);
  t.is(reused.misses, afterFree.misses);
  t.is(reused.cachedBytes, afterFree.cachedBytes - (afterAlloc.inUseBytes - start.inUseBytes));
  b.dispose();

  fm.emptyCache();
  t.is(fm.cpuCacheStats().cachedBytes, 0);
});

test.serial('a smaller request of the same size class reuses the block; small tensors bypass the cache', (t) => {
  fm.emptyCache();
  fm.zeros([N]).dispose();
  const before = fm.cpuCacheStats();
  // 10 % smaller: within the block's size class (classes are 25 % apart).
  const b = fm.zeros([Math.floor(N * 0.9)]);
  t.is(fm.cpuCacheStats().hits - before.hits, 1);
  b.dispose();
  const mid = fm.cpuCacheStats();
  const small = fm.zeros([1000]);
  small.dispose();
  const after = fm.cpuCacheStats();
  t.is(after.hits, mid.hits);
  t.is(after.misses, mid.misses);
  fm.emptyCache();
});

test.serial('results in reused memory equal a float64 recomputation, and zeros() is zero in a dirty block', (t) => {
  fm.emptyCache();
  // Leave garbage behind in a cached block.
  fm.tidy(() => fm.full([N], 7.5)).dispose();
  const z = fm.zeros([N]);
  t.is(z.abs().max().item(), 0);
  z.dispose();

  fm.manualSeed(3);
  const x = fm.randn([512, 512], { dtype: 'float64' });
  const values = x.data() as Float64Array;
  const y = fm.tidy(() => x.matmul(x).sum().item());
  // Independent reference: Σ_ij (X·X)_ij = Σ_k (Σ_i X_ik)·(Σ_j X_kj), computed in JS.
  const colSums = new Float64Array(512);
  const rowSums = new Float64Array(512);
  for (let i = 0; i < 512; i++) {
    for (let k = 0; k < 512; k++) {
      colSums[k] += values[i * 512 + k];
      rowSums[i] += values[i * 512 + k];
    }
  }
  let reference = 0;
  for (let k = 0; k < 512; k++) reference += colSums[k] * rowSums[k];
  t.true(Math.abs(y - reference) <= 1e-9 * Math.max(1, Math.abs(reference)), `${y} vs ${reference}`);
  x.dispose();
  fm.emptyCache();
});

test.serial('the cache keeps at most FLOWMATCH_CPU_CACHE_MB of free blocks; 0 turns it off', (t) => {
  const probe = `const a = fm.zeros([${N}]); a.dispose(); const b = fm.zeros([${2 * N}]); b.dispose(); const s = fm.cpuCacheStats(); console.log(JSON.stringify({ ...s, sum: fm.tidy(() => fm.arange(0, 1000).sum().item()) }));`;
  const limited = child(probe, { FLOWMATCH_CPU_CACHE_MB: '6' }) as fm.CpuCacheStats & { sum: number };
  t.true(limited.enabled);
  t.is(limited.limitBytes, 6 * MB);
  // The 4 MiB block fits under 6 MiB; the 8 MiB one would not, so it went back to the system.
  t.is(limited.cachedBytes, 4 * MB);
  const off = child(probe, { FLOWMATCH_CPU_CACHE_MB: '0' }) as fm.CpuCacheStats & { sum: number };
  t.false(off.enabled);
  t.is(off.cachedBytes, 0);
  t.is(off.sum, (999 * 1000) / 2);
});

test.serial('oneDNN convolutions, whose scratch memory goes through raw_allocate / raw_deleter, run and free through the cache', (t) => {
  fm.manualSeed(5);
  const x = fm.randn([8, 16, 48, 48]);
  const w = fm.randn([32, 16, 3, 3]);
  // float32 takes oneDNN's path; float64 the reference loop, which oneDNN does not serve.
  const fast = fm.conv2d(x, w, null, { padding: 1 });
  const reference = fm.conv2d(x.to('float64'), w.to('float64'), null, { padding: 1 });
  const err = fm.tidy(() => fast.to('float64').sub(reference).abs().max().item());
  t.true(err < 1e-3, `max |Δ| ${err}`);
  fm.dispose([x, w, fast, reference]);
  fm.emptyCache();
});
