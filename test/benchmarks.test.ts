import test from 'ava';
import * as path from 'node:path';

// One quick iteration of each benchmark so they do not rot; timings are never asserted.
const benchmarks = ['op-overhead'];

for (const name of benchmarks) {
  test(`benchmark ${name} runs (smoke, one iteration)`, async (t) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const run = require(path.resolve(__dirname, '../benchmarks', `${name}.js`));
    const result = await run({ quick: true });
    t.true(result.flowmatch_s > 0 && result.python_s > 0);
    t.true(Number.isFinite(result.ratio));
  });
}
