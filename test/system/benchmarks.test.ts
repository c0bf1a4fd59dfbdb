import test from 'ava';
import * as path from 'node:path';

// One quick iteration of each benchmark (tiny sizes) so they do not rot; timings are never
// asserted. The C++ baseline joins only where benchmarks/.build already holds it. One
// intra-op thread per side: beside other test workers, two threads spin against them and
// the smoke runs take minutes instead of seconds.
process.env.FLOWMATCH_BENCH_THREADS ??= '1';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const benchmarks: string[] = require('../../benchmarks/list.js');

const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

for (const name of benchmarks) {
  test.serial(`benchmark ${name} runs (smoke, one iteration)`, async (t) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const run = require(path.resolve(__dirname, '../../benchmarks', `${name}.js`));
    const result = await run({ mode: 'quick' });
    t.true(result.flowmatch_s > 0);
    if (result.drift_mb !== undefined) {
      t.true(finite(result.drift_mb));
    } else {
      t.true(result.python_s > 0);
      t.true(finite(result.ratio));
    }
    if (result.cpp_s !== undefined) t.true(finite(result.ratio_cpp));
    t.true((result.targets ?? []).length > 0);
  });
}
