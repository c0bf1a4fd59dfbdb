import test from 'ava';
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import * as fm from '../../lib/index';

// Each worker loads the addon into its own environment (its own tensor table) and
// computes until it is terminated mid-work.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
require(${JSON.stringify(require.resolve('tsx/cjs'))});
const fm = require(${JSON.stringify(path.resolve(__dirname, '../../lib/index.ts'))});
const x = fm.full([64, 64], workerData.value);
const check = fm.tidy(() => x.matmul(x).sum().item());
parentPort.postMessage({ check, threads: fm.getNumThreads() });
for (;;) {
  fm.tidy(() => { x.matmul(x).relu().sum(); });
}
`;

test('two workers compute concurrently, are terminated mid-work, and the main thread carries on', async (t) => {
  const before = fm.memory().cpu.tensors;
  const start = (value: number) =>
    new Promise<{ worker: Worker; message: { check: number } }>((resolve, reject) => {
      const worker = new Worker(workerSource, { eval: true, workerData: { value } });
      worker.once('message', (message) => resolve({ worker, message }));
      worker.once('error', reject);
    });
  const [w1, w2] = await Promise.all([start(1), start(2)]);
  // Σ (x·x) for a 64×64 matrix of v: each entry is 64·v², 4096 entries.
  t.is(w1.message.check, 4096 * 64 * 1);
  t.is(w2.message.check, 4096 * 64 * 4);
  const codes = await Promise.all([w1.worker.terminate(), w2.worker.terminate()]);
  t.deepEqual(codes, [1, 1]);
  // The workers' tensors lived in their own tables: the main table is untouched.
  t.is(fm.memory().cpu.tensors, before);
  const result = fm.tidy(() => fm.full([3, 3], 2).matmul(fm.full([3, 3], 3)).sum().item());
  t.is(result, 9 * 18);
});
