// TorchScript modules saved by PyTorch (test/fixtures/torchscript/make_fixtures.py): loaded
// by libtorch in the addon, their outputs equal PyTorch's, and bad files, bad inputs and
// disposed modules give typed errors.
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fm from '../lib/index';

const DIR = path.join(__dirname, 'fixtures', 'torchscript');
const MODULE = path.join(DIR, 'features.pt');

function maxAbsDiff(a: fm.Tensor, b: fm.Tensor): number {
  return fm.tidy(() => a.sub(b).abs().max().item());
}

test('a scripted module returns PyTorch\'s outputs (a tuple becomes an array)', (t) => {
  const io = fm.loadSafetensors(path.join(DIR, 'features_io.safetensors'));
  const module = fm.loadTorchScript(MODULE);
  const out = module.forward(io.x);
  t.true(Array.isArray(out));
  const [pooled, logits] = out as fm.Tensor[];
  t.deepEqual(pooled.shape, [3, 8]);
  t.deepEqual(logits.shape, [3, 5]);
  t.true(maxAbsDiff(pooled, io.pooled) < 1e-5);
  t.true(maxAbsDiff(logits, io.logits) < 1e-5);
  t.false(pooled.requiresGrad);
  fm.dispose([pooled, logits, io]);
  module.dispose();
  module.dispose();
});

test('as an FID feature extractor: the first output, flattened; equal sets are at distance 0', (t) => {
  const io = fm.loadSafetensors(path.join(DIR, 'features_io.safetensors'));
  const module = fm.loadTorchScript(MODULE);
  const extractor = fm.torchScriptExtractor(module);
  const features = fm.extractFeatures(extractor, io.x, 2);
  t.deepEqual(features.shape, [3, 8]);
  t.is(features.dtype, 'float64');
  t.true(maxAbsDiff(features, io.pooled.double()) < 1e-5);
  fm.manualSeed(0);
  const images = fm.randn([40, 1, 28, 28]);
  const f = fm.extractFeatures(extractor, images);
  t.true(Math.abs(fm.fid(f, f)) < 1e-6);
  fm.dispose([io, features, images, f]);
  module.dispose();
});

test('bad files, bad inputs and disposed modules give typed errors', (t) => {
  t.throws(() => fm.loadTorchScript(path.join(DIR, 'missing.pt')), { instanceOf: fm.ArgumentError, message: /existing TorchScript file/ });
  const notScript = path.join(DIR, 'features_io.safetensors');
  const e = t.throws(() => fm.loadTorchScript(notScript), { instanceOf: fm.FlowmatchError }) as fm.FlowmatchError;
  t.is(e.code, 'ERR_INVALID_FILE');
  t.regex(e.message, /features_io\.safetensors is not a TorchScript module/);
  const truncated = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fm-ts-')), 'cut.pt');
  fs.writeFileSync(truncated, fs.readFileSync(MODULE).subarray(0, 2000));
  t.throws(() => fm.loadTorchScript(truncated), { instanceOf: fm.FlowmatchError, message: /is not a TorchScript module/ });

  const module = fm.loadTorchScript(MODULE);
  const wrongChannels = fm.zeros([2, 3, 28, 28]);
  t.throws(() => module.forward(wrongChannels), { instanceOf: fm.FlowmatchError });
  module.dispose();
  t.throws(() => module.forward(wrongChannels), { instanceOf: fm.DisposedError, message: /disposed/ });
  wrongChannels.dispose();
});
