import test from 'ava';
import * as fm from '../../lib/index';
import { createMLP } from '../../lib/nn';
import { assertClose } from '../helpers/close';

test('output shape, parameter names and the parameter-count formula', (t) => {
  const cases = [
    { config: { dim: 2, hidden: [64, 64, 64] }, inputs: 3 },
    { config: { dim: 5, width: 16, depth: 2, activation: 'tanh' as const }, inputs: 6 },
    { config: { dim: 3, hidden: [8], timeEmbedding: 'sinusoidal' as const, timeEmbedDim: 10 }, inputs: 13 },
    { config: { dim: 4, depth: 0 }, inputs: 5 },
  ];
  for (const { config, inputs } of cases) {
    const model = createMLP(config);
    const widths = [...model.config.hidden, config.dim];
    let expected = 0;
    let fanIn = inputs;
    for (const w of widths) {
      expected += fanIn * w + w;
      fanIn = w;
    }
    t.is(model.numParameters(), expected, JSON.stringify(config));
    t.deepEqual(model.namedParameters().map(([n]) => n), widths.flatMap((_, i) => [`net.${i}.weight`, `net.${i}.bias`]));
    fm.tidy(() => {
      const v = fm.noGrad(() => model.forward(fm.randn([7, config.dim]), fm.rand([7])));
      t.deepEqual(v.shape, [7, config.dim]);
      // One time for the whole batch is broadcast.
      t.deepEqual(fm.noGrad(() => model.forward(fm.randn([7, config.dim]), fm.tensor([0.5], { dtype: 'float32' }))).shape, [7, config.dim]);
    });
    model.dispose();
  }
});

test('the forward pass equals the same network written with tensor ops', (t) => {
  for (const activation of ['silu', 'relu', 'tanh', 'gelu', 'softplus'] as const) {
    for (const timeEmbedding of ['concat', 'sinusoidal'] as const) {
      const model = createMLP({ dim: 3, hidden: [16, 8], activation, timeEmbedding, timeEmbedDim: 6 });
      fm.tidy(() => {
        const x = fm.randn([5, 3]);
        const time = fm.rand([5]);
        let features: fm.Tensor;
        if (timeEmbedding === 'concat') {
          features = time.unsqueeze(1);
        } else {
          // [cos(t·f), sin(t·f)], f_i = 10000^(−i/3)
          const freqs = fm.tensor([0, 1, 2].map((i) => Math.exp((-Math.log(10000) * i) / 3)), { dtype: 'float32' });
          const args = time.unsqueeze(1).mul(freqs.unsqueeze(0));
          features = fm.cat([args.cos(), args.sin()], 1);
        }
        let h = fm.cat([x, features], 1);
        const params = model.parameters();
        for (let layer = 0; layer < 3; layer++) {
          h = fm.linear(h, params[2 * layer], params[2 * layer + 1]);
          if (layer < 2) h = activation === 'gelu' ? h.gelu() : activation === 'softplus' ? h.softplus() : h[activation]();
        }
        const v = fm.noGrad(() => model.forward(x, time));
        assertClose(t, v.data(), fm.noGrad(() => h.detach()).data(), 1e-5, 1e-6, `${activation}/${timeEmbedding}`);
      });
      model.dispose();
    }
  }
});

test('a float64 gradient check against finite differences', (t) => {
  fm.manualSeed(11);
  const model = createMLP({ dim: 2, hidden: [12, 12], activation: 'softplus', timeEmbedding: 'sinusoidal', timeEmbedDim: 4 }).to('float64');
  fm.tidy(() => {
    const x = fm.randn([4, 2], { dtype: 'float64', requiresGrad: true });
    const time = fm.rand([4], { dtype: 'float64' });
    const w = fm.randn([4, 2], { dtype: 'float64' });
    const loss = () => model.forward(x, time).mul(w).sum();
    const targets = [x, ...model.parameters()];
    const grads = fm.grad(loss(), targets);
    const h = 1e-6;
    targets.forEach((target, k) => {
      const g = grads[k]!.data() as Float64Array;
      const n = target.numel;
      for (const index of [0, n - 1]) {
        const numeric = fm.noGrad(() => {
          const bump = fm.tensor(Float64Array.from({ length: n }, (_, i) => (i === index ? h : 0)), { shape: target.shape });
          target.add_(bump);
          const plus = loss().item() as number;
          target.sub_(bump.mul(2));
          const minus = loss().item() as number;
          target.add_(bump);
          return (plus - minus) / (2 * h);
        });
        assertClose(t, [g[index]], [numeric], 1e-6, 1e-7, `tensor ${k}[${index}]`);
      }
    });
  });
  model.dispose();
});

test('parameters share storage with the model; config errors are named', (t) => {
  const model = createMLP({ dim: 2, hidden: [4] });
  fm.tidy(() => {
    const x = fm.randn([3, 2]);
    const time = fm.rand([3]);
    fm.noGrad(() => model.parameters().forEach((p) => p.zero_()));
    assertClose(t, fm.noGrad(() => model.forward(x, time)).data(), [0, 0, 0, 0, 0, 0], 0, 0);
    t.throws(() => model.forward(fm.randn([3, 5]), time), { instanceOf: fm.ShapeError, message: /\[N, 2\]/ });
    t.throws(() => model.forward(x, fm.rand([2])), { instanceOf: fm.ShapeError, message: /t of shape \[3\]/ });
  });
  t.throws(() => createMLP({ dim: 0 }), { message: /Expected an integer in \[1, 65536\] for config.dim but received 0/ });
  t.throws(() => createMLP({ dim: 2, activation: 'swish' as never }), { message: /config.activation/ });
  model.dispose();
  t.throws(() => model.parameters(), { instanceOf: fm.DisposedError });
});
