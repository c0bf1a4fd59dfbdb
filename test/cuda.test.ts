import test from 'ava';
import * as fm from '../lib/index';

// CUDA paths run where a device exists; elsewhere the tests are skipped with the reason.
const available = fm.cuda.isAvailable();
const reason = `no CUDA device (${fm.buildInfo().cudaCompiled ? 'libtorch has CUDA but no device was found' : 'this libtorch is a CPU build'})`;
if (!available) console.log(`cuda.test: skipping CUDA tests: ${reason}`);
const cudaTest = available ? test : test.skip;

cudaTest('tensors move to CUDA and back with values intact', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([1, 2, 3]).to('cuda');
    t.is(x.device, 'cuda:0');
    t.deepEqual(x.mul(2).to('cpu').toArray(), [2, 4, 6]);
    t.is(fm.memory()['cuda:0'].tensors >= 2, true);
  });
});

cudaTest('autograd on CUDA matches CPU', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([0.5, 1.5], { dtype: 'float64', device: 'cuda', requiresGrad: true });
    const [g] = fm.grad(x.sin().sum(), x);
    t.deepEqual(g!.to('cpu').toArray(), [Math.cos(0.5), Math.cos(1.5)]);
  });
});

cudaTest('mixing devices gives a DeviceError', (t) => {
  fm.tidy(() => {
    t.throws(() => fm.ones([2]).add(fm.ones([2], { device: 'cuda' }).mul(fm.ones([2], { device: 'cuda' })).add(fm.ones([3]))), { instanceOf: fm.FlowmatchError });
  });
});

test('CUDA availability is reported consistently', (t) => {
  t.is(fm.cuda.deviceCount() > 0, available);
  if (!available) t.log(`skipped CUDA tests: ${reason}`);
});
