import test from 'ava';
import * as fm from '../lib/index';

const live = (): number => fm.memory().cpu.tensors;

test.serial('dispose() releases now, is idempotent, and `using` disposes at block end', (t) => {
  const base = live();
  const x = fm.ones([10]);
  t.is(live(), base + 1);
  t.is(fm.memory().cpu.bytes >= 40, true);
  x.dispose();
  x.dispose();
  t.true(x.isDisposed);
  t.is(live(), base);
  {
    using y = fm.zeros([4]);
    t.is(y.numel, 4);
    t.is(live(), base + 1);
  }
  t.is(live(), base);
});

test.serial('memory() counts bytes per device from the native table', (t) => {
  const before = fm.memory().cpu;
  const a = fm.zeros([100], { dtype: 'float64' });
  const b = fm.zeros([10], { dtype: 'int32' });
  const after = fm.memory().cpu;
  t.is(after.tensors - before.tensors, 2);
  t.is(after.bytes - before.bytes, 800 + 40);
  fm.dispose([a, { b }]);
  t.deepEqual(fm.memory().cpu, before);
});

test.serial('a stale handle never reads the tensor that reuses its slot', (t) => {
  const a = fm.full([3], 1);
  const staleHandle = a._h;
  a.dispose();
  const b = fm.full([3], 2); // likely reuses the freed slot
  const stale = Object.create(fm.Tensor.prototype) as fm.Tensor;
  stale._h = staleHandle;
  stale._kept = false;
  t.throws(() => stale.toArray(), { instanceOf: fm.DisposedError });
  t.throws(() => stale.add(b), { instanceOf: fm.DisposedError });
  t.deepEqual(b.toArray(), [2, 2, 2]);
  b.dispose();
});

test.serial('tidy() releases everything except what is returned or kept; nested scopes hand results up', (t) => {
  const base = live();
  let kept!: fm.Tensor;
  const result = fm.tidy(() => {
    const a = fm.ones([2]);
    const inner = fm.tidy(() => {
      const tmp = a.mul(3);
      return { sum: tmp.add(1), list: [tmp.sub(1)] };
    });
    kept = fm.keep(a.mul(5));
    return [inner.sum, inner.list[0]];
  });
  t.deepEqual(result.map((r) => r.toArray()), [[4, 4], [2, 2]]);
  t.deepEqual(kept.toArray(), [5, 5]);
  t.is(live(), base + 3);
  fm.dispose([result, kept]);
  t.is(live(), base);
});

test.serial('tidy() releases its tensors when the function throws', (t) => {
  const base = live();
  t.throws(() => fm.tidy(() => {
    fm.ones([5]);
    throw new Error('inside');
  }), { message: 'inside' });
  t.is(live(), base);
  t.throws(() => fm.tidy((async () => fm.ones([1])) as never), { message: /synchronous function/ });
  t.is(live(), base);
});

test.serial('scope() works across await and concurrent scopes keep their own tensors', async (t) => {
  const base = live();
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const job = (value: number) =>
    fm.scope(async () => {
      const a = fm.full([2], value);
      await tick();
      const b = a.mul(2);
      await tick();
      return b.add(1);
    });
  const [r1, r2] = await Promise.all([job(1), job(10)]);
  t.deepEqual(r1.toArray(), [3, 3]);
  t.deepEqual(r2.toArray(), [21, 21]);
  t.is(live(), base + 2);
  fm.dispose([r1, r2]);
  await t.throwsAsync(fm.scope(async () => {
    fm.ones([3]);
    await tick();
    throw new Error('async failure');
  }), { message: 'async failure' });
  t.is(live(), base);
});

test.serial('200,000 tensors created and released in a synchronous loop: live count and RSS stay flat', (t) => {
  const a = fm.ones([16]);
  const b = fm.ones([16]);
  const base = live();
  const warm = (n: number): void => {
    for (let i = 0; i < n; i++) a.add(b).dispose();
  };
  warm(20000);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  for (let i = 0; i < 200000; i++) a.add(b).dispose();
  // The same through scopes: 2,000 tidy() calls of 100 tensors each.
  for (let k = 0; k < 2000; k++) {
    fm.tidy(() => {
      for (let i = 0; i < 100; i++) a.mul(b);
    });
  }
  const grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  t.is(live(), base);
  t.true(grown < 50, `RSS grew ${grown.toFixed(1)} MB`);
  t.log(`RSS growth over 400,000 tensors: ${grown.toFixed(1)} MB`);
  fm.dispose([a, b]);
});
