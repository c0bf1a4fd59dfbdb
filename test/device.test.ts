import test from 'ava';
import * as fm from '../lib/index';
import type { Conditioning, Tensor, VelocityModel } from '../lib/index';

// Sampling, likelihood and the divergences must create every tensor on the device of their
// input. On a machine without a GPU, libtorch's 'meta' device (shapes and dtypes, no data)
// is the second device that makes this testable: a tensor created on the default CPU device
// either meets a meta tensor in an op (libtorch refuses to mix them), reaches the model
// (the spy below sees its device), or is alive on the CPU while the model runs (the spy
// counts CPU tensors). Meta has no values, so only paths that never read a number run here:
// fixed-grid solvers (an adaptive step reads its error norm); system/cuda.test.ts runs the rest.

/** v = −x, recording the device and dtype of x, t and labels and how many CPU tensors are live. */
function spy(): { model: VelocityModel; calls: () => number; seen: Set<string> } {
  const seen = new Set<string>();
  let calls = 0;
  const cpuBefore = fm.memory().cpu.tensors;
  const model = (x: Tensor, t: Tensor, cond?: Conditioning): Tensor => {
    calls++;
    seen.add(`x ${x.device} ${x.dtype}`);
    seen.add(`t ${t.device} ${t.dtype}`);
    if (cond?.labels !== undefined) seen.add(`labels ${cond.labels.device}`);
    seen.add(`cpu tensors +${fm.memory().cpu.tensors - cpuBefore}`);
    return x.mul(-1);
  };
  return { model, calls: () => calls, seen };
}

const onMeta = (shape: number[], dtype: 'float32' | 'float64' = 'float32'): Tensor => fm.zeros(shape, { dtype, device: 'meta' });

test("'meta' is a device: tensors report it and memory() counts them apart from the CPU, with no bytes", (t) => {
  const before = fm.memory();
  const x = onMeta([3, 4]);
  t.is(x.device, 'meta');
  const after = fm.memory();
  t.is(after.cpu.tensors, before.cpu.tensors);
  t.is(after.meta.tensors, (before.meta?.tensors ?? 0) + 1);
  t.is(after.meta.bytes, before.meta?.bytes ?? 0);
  t.is(after['cuda:0'], before['cuda:0']);
  // The premise of this file: libtorch refuses to mix a meta and a CPU tensor.
  t.throws(() => fm.tidy(() => x.add(fm.ones([3, 4]))), { instanceOf: fm.FlowmatchError, message: /device/ });
  x.dispose();
});

for (const method of ['euler', 'midpoint', 'rk4'] as const) {
  test(`sample (${method}) creates time and state on x0's device, in x0's dtype`, (t) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const s = spy();
      const x0 = onMeta([5, 2], dtype);
      const r = fm.sample(s.model, { x0, method, steps: 3 });
      t.is(r.samples.device, 'meta');
      t.is(r.samples.dtype, dtype);
      t.true(s.calls() >= 3);
      t.deepEqual([...s.seen].sort(), [`cpu tensors +0`, `t meta ${dtype}`, `x meta ${dtype}`]);
      r.samples.dispose();
      x0.dispose();
    }
  });
}

test('sample draws its noise on the device option, and on a module\'s device without it', (t) => {
  const s = spy();
  const r = fm.sample(s.model, { n: 4, shape: [3], device: 'meta', steps: 2, returnTrajectory: true });
  t.is(r.samples.device, 'meta');
  t.is(r.trajectory!.device, 'meta');
  t.deepEqual([...s.seen].sort(), ['cpu tensors +0', 't meta float32', 'x meta float32']);
  fm.dispose(r);

  // libtorch cannot move a native module's parameters to 'meta' (set_data refuses), so a
  // module is stood in for by an object with forward() and parameters().
  const weight = onMeta([3, 3]);
  const module = { forward: spy().model, parameters: () => [weight] };
  const fromModel = fm.sample(module, { n: 4, shape: [3], steps: 2 });
  t.is(fromModel.samples.device, 'meta');
  fm.dispose([fromModel.samples, weight]);
});

test('classifier-free guidance builds its null labels and doubled batch on the labels\' device', (t) => {
  const s = spy();
  const x0 = onMeta([3, 2]);
  const labels = fm.zeros([3], { dtype: 'int64', device: 'meta' });
  const r = fm.sample(s.model, { x0, steps: 2, conditioning: { labels }, guidanceScale: 2, nullLabel: 5 });
  t.is(r.samples.device, 'meta');
  t.deepEqual([...s.seen].sort(), ['cpu tensors +0', 'labels meta', 't meta float32', 'x meta float32']);
  fm.dispose([r.samples, x0, labels]);
});

for (const divergence of ['exact', 'hutchinson'] as const) {
  for (const probe of divergence === 'exact' ? (['rademacher'] as const) : (['rademacher', 'gaussian'] as const)) {
    test(`likelihood (${divergence}${divergence === 'hutchinson' ? `, ${probe} probes` : ''}) creates time, Δ and probes on x1's device, in x1's dtype`, (t) => {
      for (const dtype of ['float32', 'float64'] as const) {
        const s = spy();
        const x1 = onMeta([4, 3], dtype);
        const r = fm.likelihood(s.model, x1, { method: 'rk4', steps: 2, divergence, probe, probes: 2 });
        for (const out of [r.logProb, r.x0, r.divergenceIntegral]) {
          t.is(out.device, 'meta');
          t.is(out.dtype, dtype);
        }
        t.deepEqual([...s.seen].sort(), ['cpu tensors +0', `t meta ${dtype}`, `x meta ${dtype}`]);
        fm.dispose([r.logProb, r.x0, r.divergenceIntegral, x1]);
      }
    });
  }
}

test('the divergences create their cotangents on x\'s device', (t) => {
  fm.tidy(() => {
    const x = onMeta([2, 3], 'float64').requiresGrad_();
    const v = fm.enableGrad(() => x.mul(2));
    const exact = fm.exactDivergence(v, x);
    t.is(exact.device, 'meta');
    const probes = [fm.ones([2, 3], { dtype: 'float64', device: 'meta' })];
    t.is(fm.hutchinsonDivergence(v, x, probes).device, 'meta');
    // v that does not depend on x: the zero VJP is created on x's device too.
    const constant = onMeta([2, 3], 'float64');
    t.is(fm.exactDivergence(constant, x).device, 'meta');
  });
});
