import test from 'ava';
import * as fm from '../../lib/index';
import { train } from '../../lib/train/trainer';
import { fashionMnistTest } from '../helpers/fashion-mnist';

// A small U-Net on a Fashion-MNIST subset: the CFM loss falls within a few dozen steps.
fashionMnistTest('train/trainer-unet.test')('a small U-Net trains on a Fashion-MNIST subset (the loss falls)', async (t) => {
  const data = fm.loadMnist({ split: 'train' });
  const subset = fm.tidy(() => ({ x: fm.keep(data.x.narrow(0, 0, 256)), labels: fm.keep(data.labels!.narrow(0, 0, 256)) }));
  fm.dispose(data);
  const loader = new fm.DataLoader(subset, { batchSize: 16, seed: 0, transform: fm.toSignedUnit });
  fm.manualSeed(0);
  const model = fm.createUNet({ in_channels: 1, model_channels: 32, out_channels: 1, num_res_blocks: 1, attention_resolutions: [], channel_mult: [1, 2], num_heads: 1, use_scale_shift_norm: true, num_classes: 10 });
  const result = await train({ model, path: fm.otPath(), data: loader, steps: 40, optimizer: { name: 'adam', lr: 2e-3 }, labelDropout: 0.1, ema: false, seed: 0, progress: false });
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(result.losses.slice(0, 5));
  const last = mean(result.losses.slice(-5));
  t.log(`CFM loss: first 5 steps ${first.toFixed(3)}, last 5 steps ${last.toFixed(3)}`);
  // Untrained, the prediction is ≈ 0 and the loss is E‖x1 − x0‖²/d ≈ 1 + E[x1²] ≈ 1.4 for
  // Fashion-MNIST in [−1, 1]; learning the mean image alone brings it well below 1.
  t.true(first > 1, `first losses ${first}`);
  t.true(last < 0.75 * first, `the loss fell from ${first} to ${last} only`);
  model.dispose();
  fm.dispose(subset);
});
