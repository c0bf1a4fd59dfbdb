/**
 * E3 — super-resolution 14×14 → 28×28 on Fashion-MNIST with a conditional flow (Lipman et al.
 * 2023 §6.3 do 64→256 on ImageNet; this is the same construction at CPU scale).
 *
 * The low-resolution input is the 28×28 image averaged down 2× (avgPool2d). The U-Net gets it
 * upsampled bilinearly to 28×28 as an extra input channel (SuperResModel's construction:
 * createUNet({condChannels: 1}), forward(x, t, {lowRes})) and learns the OT path from noise to
 * the high-resolution image.
 *
 * Budget (defaults; override with env): the ADM U-Net of E2 (model_channels 32, channel_mult
 * 1,2,2, one res block per level, no attention) plus the conditioning channel, E3_STEPS Adam
 * steps at batch E3_BATCH, lr 5e-4 after a 100-step warm-up. Evaluation on the first E3_EVAL
 * test images: one flowmatch sample per image (dopri5, rtol = atol = 1e-5, its NFE reported)
 * against bicubic upsampling of the same low-resolution input — PSNR and SSIM against the
 * ground truth ([−1, 1] images, data range 2), FID against the 10 000 test images, and the
 * consistency error ‖avgpool(output) − low-res‖ (how well each output explains its input).
 *
 * Reproduce: nice -n 10 node --import tsx experiments/e3-superres.js
 * Writes experiments/e3-results.json, e3-superres.png (rows: low-res, bicubic, flowmatch,
 * ground truth) and e3-loss.png.
 */
const path = require('node:path');
const { fm, env, seconds, log, resultsFile, fidReference, fidAgainst, realFidFloor, trainUNet, writeLossCurve, runMain } = require('./fashion-common.js');

const STEPS = env('E3_STEPS', 4000);
const BATCH = env('E3_BATCH', 16);
const EVAL = env('E3_EVAL', 256);
const TOL = 1e-5;
const OUT = __dirname;
const UNET = { inChannels: 1, outChannels: 1, modelChannels: 32, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [], condChannels: 1 };

fm.setNumThreads(env('FM_THREADS', 2));

const lowResolution = (x) => fm.avgPool2d(x, 2);

/** Mean absolute difference between the output's own 2× average and the low-res input. */
function consistency(output, lowRes) {
  return fm.tidy(() => lowResolution(output.clamp(-1, 1)).sub(lowRes).abs().mean().item());
}

function quality(name, output, truth, lowRes, fidRef) {
  const r = {
    psnr: fm.psnr(output.clamp(-1, 1), truth, { dataRange: 2 }),
    ssim: fm.ssim(output.clamp(-1, 1), truth, { dataRange: 2 }),
    fid: fidAgainst(fidRef, output),
    lowResConsistency: consistency(output, lowRes),
  };
  log(`${name}: PSNR ${r.psnr.toFixed(2)} dB, SSIM ${r.ssim.toFixed(4)}, FID ${r.fid.toFixed(2)}, |avgpool(out) − lowres| ${r.lowResConsistency.toFixed(4)}`);
  return r;
}

async function main() {
  const started = Date.now();
  const train = fm.loadMnist({ split: 'train' });
  const test = fm.loadMnist({ split: 'test' });
  const { results, flush } = resultsFile(path.join(OUT, 'e3-results.json'), { unet: UNET, steps: STEPS, batch: BATCH, evalImages: EVAL, rtol: TOL, atol: TOL });

  const trained = await trainUNet({
    name: 'super-res',
    unet: UNET,
    path: fm.otPath(),
    timeSampler: fm.uniformTime(),
    data: { x: train.x },
    steps: STEPS,
    batch: BATCH,
    lr: 5e-4,
    warmup: 100,
    conditioningFor: (batch) => ({ lowRes: lowResolution(batch.x) }),
  });
  results.training = trained.record;
  flush();
  await writeLossCurve(path.join(OUT, 'e3-loss.png'), { 'OT, super-resolution': trained.losses }, 'E3 super-resolution: training loss');

  const fidRef = fidReference(test);
  results.realFidFloor = realFidFloor(fidRef, train, EVAL);
  const truth = fm.keep(fm.toSignedUnit(test.x.narrow(0, 0, EVAL)));
  const lowRes = fm.keep(lowResolution(truth));

  const bicubic = fm.keep(fm.interpolate(lowRes, { size: [28, 28], mode: 'bicubic', alignCorners: false }).clamp(-1, 1));
  results.bicubic = quality('bicubic', bicubic, truth, lowRes, fidRef);
  flush();

  fm.manualSeed(21);
  let start = Date.now();
  const drawn = fm.sample(trained.model, { n: EVAL, shape: [1, 28, 28], method: 'dopri5', rtol: TOL, atol: TOL, conditioning: { lowRes } });
  results.flowmatch = { ...quality('flowmatch', drawn.samples, truth, lowRes, fidRef), dopri5Nfe: drawn.nfe, sampleSeconds: seconds(start) };
  flush();

  const columns = 8;
  const nearest = fm.interpolate(lowRes.narrow(0, 0, columns), { size: [28, 28], mode: 'nearest' });
  const rows = [nearest, bicubic.narrow(0, 0, columns), drawn.samples.narrow(0, 0, columns).clamp(-1, 1), truth.narrow(0, 0, columns)];
  await fm.writePng(path.join(OUT, 'e3-superres.png'), fm.imageGrid(fm.cat(rows), { nrow: columns, padding: 1, scale: 2, valueRange: [-1, 1] }));

  results.totalSeconds = seconds(started);
  flush();
  log(`total ${results.totalSeconds.toFixed(0)} s`);
}

runMain(main);
