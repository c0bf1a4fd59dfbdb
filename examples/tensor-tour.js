#!/usr/bin/env node
// A tour of the tensor core: creation, broadcasting, dtype promotion, reductions,
// autograd (a gradient and a Hessian-vector product), scopes and memory counters.
'use strict';
const fm = require('../dist/index.js');

fm.manualSeed(0);
console.log(`flowmatch ${fm.version} on libtorch ${fm.buildInfo().torchVersion}, ${fm.getNumThreads()} threads, CUDA ${fm.cuda.isAvailable() ? 'available' : 'not available'}`);

fm.tidy(() => {
  const a = fm.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32' });
  const b = fm.tensor([10, 20, 30]);
  console.log('a + b (broadcast, float32 + int64 -> float32):', a.add(b).toArray(), a.add(b).dtype);
  console.log('a @ aᵀ:', a.matmul(a.T).toArray());
  console.log('mean over dim 1, keepdim:', a.mean(1, { keepdim: true }).toArray());
  console.log('logsumexp of [0, ln 3] = ln 4:', fm.tensor([0, Math.log(3)]).logsumexp().item(), Math.log(4));

  // d/dx Σ sin(x)·x² = cos(x)·x² + 2x·sin(x)
  const x = fm.tensor([0.5, 1.0, 2.0], { dtype: 'float64', requiresGrad: true });
  const y = x.sin().mul(x.square()).sum();
  const [g] = fm.grad(y, x, { createGraph: true });
  const expected = [0.5, 1.0, 2.0].map((v) => Math.cos(v) * v * v + 2 * v * Math.sin(v));
  console.log('gradient:', g.toArray(), 'closed form:', expected);
  // Double backward: the Hessian of Σ sin(x)·x² is diagonal; H·1 is its diagonal.
  const [hv] = fm.grad(g, x, { gradOutputs: fm.onesLike(g) });
  const hess = [0.5, 1.0, 2.0].map((v) => -Math.sin(v) * v * v + 4 * v * Math.cos(v) + 2 * Math.sin(v));
  console.log('Hessian diagonal:', hv.toArray(), 'closed form:', hess);
});
console.log('live tensors after the scope:', fm.memory().cpu.tensors);
