import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fm from '../../lib/index';
import { createUNet, type UNetConfig } from '../../lib/nn';
import { loadSafetensors } from '../../lib/io/safetensors';
import { assertClose } from '../helpers/close';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'unet');

// ---- an independent parameter count from the architecture's formulas ---------------------

interface Arch {
  inCh: number;
  mc: number;
  outCh: number;
  nrb: number;
  attn: number[];
  mult: number[];
  convResample: boolean;
  classes: number;
  scaleShift: boolean;
  updown: boolean;
  cond: number;
}
const conv = (i: number, o: number, k: number) => i * o * k * k + o;
const linear = (i: number, o: number) => i * o + o;
const norm = (c: number) => 2 * c;
const res = (c: number, o: number, emb: number, a: Arch) =>
  norm(c) + conv(c, o, 3) + linear(emb, a.scaleShift ? 2 * o : o) + norm(o) + conv(o, o, 3) + (o === c ? 0 : conv(c, o, 1));
const attention = (c: number) => norm(c) + c * 3 * c + 3 * c + c * c + c;
const resample = (c: number, a: Arch, emb: number) => (a.updown ? res(c, c, emb, a) : a.convResample ? conv(c, c, 3) : 0);

function formulaCount(a: Arch): number {
  const emb = 4 * a.mc;
  let n = linear(a.mc, emb) + linear(emb, emb) + (a.classes > 0 ? (a.classes + 1) * emb : 0);
  let ch = a.mult[0] * a.mc;
  n += conv(a.inCh + a.cond, ch, 3);
  const skips = [ch];
  let ds = 1;
  a.mult.forEach((m, level) => {
    for (let r = 0; r < a.nrb; r++) {
      n += res(ch, m * a.mc, emb, a);
      ch = m * a.mc;
      if (a.attn.includes(ds)) n += attention(ch);
      skips.push(ch);
    }
    if (level < a.mult.length - 1) {
      n += resample(ch, a, emb);
      skips.push(ch);
      ds *= 2;
    }
  });
  n += 2 * res(ch, ch, emb, a) + attention(ch);
  for (let level = a.mult.length - 1; level >= 0; level--) {
    for (let i = 0; i <= a.nrb; i++) {
      const skip = skips.pop()!;
      n += res(ch + skip, a.mult[level] * a.mc, emb, a);
      ch = a.mult[level] * a.mc;
      if (a.attn.includes(ds)) n += attention(ch);
      if (level > 0 && i === a.nrb) {
        n += resample(ch, a, emb);
        ds /= 2;
      }
    }
  }
  return n + norm(ch) + conv(a.mult[0] * a.mc, a.outCh, 3);
}

function toConfig(a: Arch): UNetConfig {
  return {
    inChannels: a.inCh, modelChannels: a.mc, outChannels: a.outCh, numResBlocks: a.nrb, attentionResolutions: a.attn,
    channelMult: a.mult, convResample: a.convResample, numClasses: a.classes || null, useScaleShiftNorm: a.scaleShift,
    resblockUpdown: a.updown, condChannels: a.cond,
  };
}

const base: Arch = { inCh: 1, mc: 32, outCh: 1, nrb: 1, attn: [2], mult: [1, 2, 2], convResample: true, classes: 0, scaleShift: true, updown: false, cond: 0 };
const archs: Record<string, Arch> = {
  benchmark: base,
  classConditionalUpdown: { ...base, inCh: 3, outCh: 6, mc: 64, nrb: 2, attn: [1, 2], mult: [1, 2], classes: 10, scaleShift: false, updown: true },
  superResNoConvResample: { ...base, inCh: 3, outCh: 3, mult: [1, 2, 3], attn: [], convResample: false, cond: 3, nrb: 2 },
  deep: { ...base, inCh: 3, outCh: 3, mc: 32, mult: [1, 2, 2, 2], nrb: 2, attn: [2, 4] },
};

for (const [name, arch] of Object.entries(archs)) {
  test(`parameter count equals the architecture formula: ${name}`, (t) => {
    const model = createUNet(toConfig(arch));
    t.is(model.numParameters(), formulaCount(arch));
    model.dispose();
  });
}

// ---- guided-diffusion's own state_dict names and shapes -------------------------------------

interface KeyFixture {
  model: string;
  config: Record<string, unknown>;
  num_parameters: number;
  keys: [string, number[]][];
}

function configFromGuidedDiffusion(f: KeyFixture): Record<string, unknown> {
  const config: Record<string, unknown> = { ...f.config };
  // flowmatch adds the null class itself; guided-diffusion's SuperResModel doubles in_channels.
  if (typeof config.num_classes === 'number') config.num_classes -= 1;
  if (f.model === 'SuperResModel') config.cond_channels = config.in_channels;
  return config;
}

for (const name of ['mnist_benchmark', 'cifar_fm_paper', 'class_cond_updown', 'superres']) {
  test(`state_dict names and shapes equal guided-diffusion's: ${name}`, (t) => {
    const fixture: KeyFixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, `keys_${name}.json`), 'utf8'));
    // The snake_case config guided-diffusion takes is accepted as is.
    const model = createUNet(configFromGuidedDiffusion(fixture) as UNetConfig);
    const ours = model.namedParameters().map(([k, p]) => [k, p.shape]);
    t.deepEqual(ours, fixture.keys);
    t.is(model.numParameters(), fixture.num_parameters);
    model.dispose();
  });
}

test('guided-diffusion weights load from safetensors without renames and give its output', (t) => {
  const model = createUNet({
    in_channels: 3, model_channels: 32, out_channels: 3, num_res_blocks: 1, attention_resolutions: [1, 2],
    channel_mult: [1, 2], num_classes: 4, num_heads: 2, use_scale_shift_norm: true,
  });
  const report = model.load(path.join(FIXTURES, 'tiny_weights.safetensors'));
  t.deepEqual(report, { missing: [], unexpected: [] });
  model.eval();
  const io = loadSafetensors(path.join(FIXTURES, 'tiny_forward.safetensors'));
  fm.tidy(() => {
    const v = fm.noGrad(() => model.forward(io.x, io.t, { labels: io.y }));
    assertClose(t, v.data(), io.v.data(), 1e-4, 1e-4, 'velocity');
  });
  fm.dispose(io);
  model.dispose();
});

test('guided-diffusion SuperResModel weights (new attention order, residual resampling) give its output', (t) => {
  const model = createUNet({
    in_channels: 2, cond_channels: 2, model_channels: 32, out_channels: 2, num_res_blocks: 1, attention_resolutions: [2],
    channel_mult: [1, 1], num_head_channels: 16, resblock_updown: true, use_new_attention_order: true, conv_resample: false,
  });
  model.load(path.join(FIXTURES, 'tiny_superres_weights.safetensors'));
  model.eval();
  const io = loadSafetensors(path.join(FIXTURES, 'tiny_superres_forward.safetensors'));
  fm.tidy(() => {
    const v = fm.noGrad(() => model.forward(io.x, io.t, { lowRes: io.low_res }));
    assertClose(t, v.data(), io.v.data(), 1e-4, 1e-4, 'velocity');
  });
  fm.dispose(io);
  model.dispose();
});

test('output shapes, conditioning and the null class', (t) => {
  fm.tidy(() => {
    const model = createUNet({ ...toConfig(archs.superResNoConvResample), numClasses: 3 });
    t.is(model.numClasses, 3);
    const x = fm.randn([2, 3, 16, 16]);
    const lowRes = fm.randn([2, 3, 8, 8]);
    const v = fm.noGrad(() => model.forward(x, fm.rand([2]), { lowRes, labels: fm.tensor([0, 2], { dtype: 'int64' }) }));
    t.deepEqual(v.shape, [2, 3, 16, 16]);
    // A class-conditional model never runs without labels; the null class is asked for by its label.
    t.is(model.nullLabel, 3);
    t.throws(() => model.forward(x, fm.tensor([0.3, 0.3]), { lowRes }), { instanceOf: fm.ArgumentError, code: 'ERR_CONDITIONING', message: /null class.*for conditioning\.labels/ });
    const nullClass = fm.noGrad(() => model.forward(x, fm.tensor([0.3, 0.3]), { lowRes, labels: fm.tensor([3, 3], { dtype: 'int64' }) }));
    t.deepEqual(nullClass.shape, [2, 3, 16, 16]);
    t.throws(() => model.forward(x, fm.rand([2]), { lowRes, labels: fm.tensor([0, 4], { dtype: 'int64' }) }), { instanceOf: fm.ShapeError, message: /label 4 is out of range/ });
    const error = t.throws(() => model.forward(x, fm.rand([2]), { labels: fm.tensor([0, 1], { dtype: 'int64' }) }), { instanceOf: fm.FlowmatchError });
    t.regex(error!.message, /lowRes/);
    model.dispose();
  });
});

test('a float64 gradient check against finite differences', (t) => {
  fm.manualSeed(3);
  const model = createUNet({ inChannels: 1, modelChannels: 32, outChannels: 1, numResBlocks: 1, attentionResolutions: [2], channelMult: [1, 2], numHeads: 2, useScaleShiftNorm: true, numClasses: 2 });
  model.to('float64');
  // Zero-initialised layers would hide most paths: give every parameter a random value.
  fm.noGrad(() => {
    for (const p of model.parameters()) fm.tidy(() => p.copy_(fm.randnLike(p).mul(0.3)));
  });
  fm.tidy(() => {
    const x = fm.randn([2, 1, 4, 4], { dtype: 'float64', requiresGrad: true });
    const time = fm.tensor([0.2, 0.7], { dtype: 'float32' });
    const labels = fm.tensor([0, 1], { dtype: 'int64' });
    const w = fm.randn([2, 1, 4, 4], { dtype: 'float64' });
    const loss = (input: fm.Tensor) => model.forward(input, time, { labels }).mul(w).sum();
    const params = model.namedParameters();
    const probe = ['input_blocks.0.0.weight', 'input_blocks.1.0.emb_layers.1.weight', 'input_blocks.3.1.qkv.weight', 'middle_block.1.proj_out.weight', 'output_blocks.0.0.skip_connection.weight', 'label_emb.weight', 'out.2.bias'];
    const tensors = [x, ...probe.map((name) => params.find(([n]) => n === name)![1])];
    const grads = fm.grad(loss(x), tensors);
    const h = 1e-6;
    tensors.forEach((target, k) => {
      const g = grads[k]!.data() as Float64Array;
      const n = target.numel;
      for (const index of [0, Math.floor(n / 2), n - 1]) {
        const numeric = fm.noGrad(() => {
          const bump = fm.tensor(Float64Array.from({ length: n }, (_, i) => (i === index ? h : 0)), { shape: target.shape });
          target.add_(bump);
          const plus = loss(x).item() as number;
          target.sub_(bump.mul(2));
          const minus = loss(x).item() as number;
          target.add_(bump);
          return (plus - minus) / (2 * h);
        });
        assertClose(t, [g[index]], [numeric], 1e-5, 1e-6, `${k === 0 ? 'x' : probe[k - 1]}[${index}]`);
      }
    });
  });
  model.dispose();
});

test('forwardAsync equals forward; eval disables dropout; bf16 autocast stays close', async (t) => {
  fm.manualSeed(5);
  const model = createUNet({ ...toConfig(base), dropout: 0.5 });
  fm.noGrad(() => {
    for (const p of model.parameters()) fm.tidy(() => p.copy_(fm.randnLike(p).mul(0.05)));
  });
  await fm.scope(async () => {
    const x = fm.randn([2, 1, 8, 8]);
    const time = fm.rand([2]);
    model.eval();
    t.false(model.training);
    const sync = fm.noGrad(() => model.forward(x, time));
    const again = fm.noGrad(() => model.forward(x, time));
    assertClose(t, again.data(), sync.data(), 0, 0, 'eval is deterministic');
    const viaPool = await model.forwardAsync(x, time);
    assertClose(t, viaPool.data(), sync.data(), 1e-6, 1e-6, 'async');
    const bf16 = fm.noGrad(() => model.forward(x, time, {}, { autocast: 'bfloat16' }));
    t.is(bf16.dtype, 'float32');
    const scale = Math.max(...Array.from(sync.data() as Float32Array, Math.abs));
    assertClose(t, bf16.data(), sync.data(), 0, 0.05 * scale, 'bf16 autocast');
    model.train();
    const dropped = fm.noGrad(() => model.forward(x, time));
    t.false(dropped.allclose(sync), 'dropout changes the output in training mode');
  });
  model.dispose();
});

test('forwardAsync leaves the event loop free while the model runs', async (t) => {
  const model = createUNet(toConfig(base));
  await fm.scope(async () => {
    const x = fm.randn([16, 1, 28, 28]);
    let ticks = 0;
    let done = false;
    const spin = () => {
      if (done) return;
      ticks += 1;
      setImmediate(spin);
    };
    setImmediate(spin);
    let v: fm.Tensor;
    try {
      v = await model.forwardAsync(x, fm.rand([16]));
    } finally {
      done = true;
    }
    t.deepEqual(v.shape, [16, 1, 28, 28]);
    t.true(ticks > 1, `the loop turned ${ticks} times during the forward pass`);
  });
  model.dispose();
});

test('loadStateDict names what is missing, unexpected or of another shape', (t) => {
  const model = createUNet(toConfig(base));
  fm.tidy(() => {
    const dict = model.stateDict();
    const bad: Record<string, fm.Tensor> = { ...dict, 'extra.weight': fm.zeros([1]), 'out.2.bias': fm.zeros([5]) };
    delete bad['time_embed.0.weight'];
    const error = t.throws(() => model.loadStateDict(bad), { instanceOf: fm.ShapeError });
    t.regex(error!.message, /out\.2\.bias \(model \[1\], given \[5\]\)/);
    t.regex(error!.message, /missing: time_embed\.0\.weight/);
    t.regex(error!.message, /unexpected: extra\.weight/);
    delete bad['out.2.bias'];
    const report = model.loadStateDict(bad, { strict: false });
    t.deepEqual(report, { missing: ['time_embed.0.weight', 'out.2.bias'], unexpected: ['extra.weight'] });
  });
  t.throws(() => createUNet({ inChannels: 1, modelChannels: 20, outChannels: 1, numResBlocks: 1 }), { message: /divisible by 32/ });
  t.throws(() => createUNet({ inChannels: 1, modelChannels: 32, outChannels: 1, numResBlocks: 1, bogus: 1 }), { message: /Unknown key 'bogus'/ });
  model.dispose();
});

test('save/load round-trips parameters through a safetensors file', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fm-unet-'));
  const file = path.join(dir, 'model.safetensors');
  const a = createUNet(toConfig(base));
  const b = createUNet(toConfig(base));
  fm.noGrad(() => {
    for (const p of a.parameters()) fm.tidy(() => p.copy_(fm.randnLike(p)));
  });
  a.save(file);
  b.load(file);
  fm.tidy(() => {
    const pa = a.stateDict();
    const pb = b.stateDict();
    for (const name of Object.keys(pa)) t.true(pa[name].eq(pb[name]).all().item() as boolean, name);
  });
  a.dispose();
  b.dispose();
  fs.rmSync(dir, { recursive: true });
});
