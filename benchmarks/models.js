'use strict';
// The models the benchmarks share, and how their weights travel to Python and C++: the
// flowmatch side builds a model, saves it as safetensors, and the other sides load that
// file, so every side runs the same weights.
const path = require('path');
const { flowmatch } = require('./harness.js');

const MLP_LARGE = [512, 512, 512, 512];
const MLP_SMALL = [64, 64, 64];

// in_channels 1, model_channels 32, channel_mult 1,2,2, one res block per level, attention
// at ds = 2, one head, scale-shift norm: the small ADM U-Net for 28×28 images.
const UNET_SMALL = {
  inChannels: 1,
  modelChannels: 32,
  outChannels: 1,
  channelMult: [1, 2, 2],
  numResBlocks: 1,
  attentionResolutions: [2],
  numHeads: 1,
  useScaleShiftNorm: true,
};

function createMlp(hidden) {
  return flowmatch().createMLP({ dim: 2, hidden, activation: 'silu' });
}

/**
 * The U-Net with its zero-initialised output layers given small random values: at
 * initialisation v ≡ 0, which would make adaptive solvers take trivially few steps and the
 * likelihood benchmark measure nothing.
 */
function createUNet() {
  const fm = flowmatch();
  const model = fm.createUNet(UNET_SMALL);
  fm.manualSeed(0);
  fm.noGrad(() =>
    fm.tidy(() => {
      for (const p of model.parameters()) {
        if (p.abs().max().item() === 0) p.copy_(fm.randnLike(p).mul(0.02));
      }
    }),
  );
  return model;
}

/** Saves the model's weights under `dir` and returns the file. */
function saveWeights(model, dir) {
  const file = path.join(dir, 'weights.safetensors');
  model.save(file);
  return file;
}

/** Saves named tensors (inputs both sides must share: noise, data) and returns the file. */
function saveTensors(tensors, dir, name = 'inputs.safetensors') {
  const file = path.join(dir, name);
  flowmatch().saveSafetensors(file, tensors);
  return file;
}

module.exports = { MLP_LARGE, MLP_SMALL, UNET_SMALL, createMlp, createUNet, saveWeights, saveTensors };
