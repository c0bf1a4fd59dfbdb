#!/usr/bin/env node
// Trains the small ADM U-Net on Fashion-MNIST with the OT path on 2 CPU cores and writes
// a grid of samples. Usage: node examples/train-fashion-unet.js [steps] [outDir]
// (build first: npm run setup). The README records its run time and final loss.
'use strict';
const path = require('path');
const fm = require('../dist/index.js');

async function main() {
  const steps = Number(process.argv[2] ?? 1000);
  const outDir = process.argv[3] ?? path.join(__dirname, '..', 'runs', 'fashion-unet');
  const started = Date.now();
  fm.manualSeed(0);
  const data = fm.loadMnist({ split: 'train' });
  const loader = new fm.DataLoader(data, { batchSize: 32, seed: 0, transform: fm.toSignedUnit });
  const model = fm.createUNet({
    in_channels: 1, model_channels: 32, out_channels: 1, num_res_blocks: 1,
    attention_resolutions: [2], channel_mult: [1, 2, 2], num_heads: 1, use_scale_shift_norm: true,
  });
  console.log(`U-Net with ${model.numParameters().toLocaleString()} parameters, ${steps} steps of batch 32`);
  const result = await fm.train({
    model, path: fm.otPath(), data: loader, steps,
    optimizer: { name: 'adam', lr: 5e-4 }, schedule: { name: 'warmup', warmupSteps: 100 },
    clipGradNorm: 1, ema: { decay: 0.999 }, seed: 0, outDir, checkpointEvery: 200,
  });
  const tail = result.losses.slice(-50);
  const finalLoss = tail.reduce((a, b) => a + b, 0) / tail.length;
  // Sample with the EMA weights that train() saved.
  model.load(path.join(outDir, fm.MODEL_FILE));
  model.eval();
  const { samples, nfe } = fm.tidy(() => fm.sample(model, { n: 64, shape: [1, 28, 28], method: 'midpoint', steps: 50 }));
  await fm.writePng(path.join(outDir, 'samples.png'), fm.imageGrid(samples.clamp(-1, 1), { nrow: 8, scale: 2 }));
  const minutes = (Date.now() - started) / 60000;
  console.log(`final loss (mean of last 50 steps) ${finalLoss.toFixed(4)}; sampled 64 images with ${nfe} NFE; ${minutes.toFixed(1)} min; wrote ${path.join(outDir, 'samples.png')}`);
  fm.dispose(samples);
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
