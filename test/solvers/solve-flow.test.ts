import test from 'ava';
import { tensor, ArgumentError, SolverError } from '../../lib/index';
import { solveFlowOptions } from '../../lib/solvers/solve-flow';
import { odeint } from '../../lib/solvers/odeint';
import { sample, sampleAsync } from '../../lib/sample';
import { likelihood, likelihoodAsync } from '../../lib/likelihood';
import type { VelocityModel } from '../../lib/nn/velocity-model';

test('fixed-grid methods: uniform steps over the interval, or stepSize; every step on request', (t) => {
  const forward = solveFlowOptions({ method: 'rk4', steps: 4 }, { from: 0, to: 1, defaultMethod: 'euler' });
  t.deepEqual(forward, { method: 'rk4', t: [0, 1], odeint: { method: 'rk4', options: { step_size: 0.25 } } });
  const backward = solveFlowOptions({ method: 'euler', steps: 4 }, { from: 1, to: 0, everyStep: true, defaultMethod: 'dopri5' });
  t.deepEqual(backward.t, [1, 0.75, 0.5, 0.25, 0]);
  t.deepEqual(backward.odeint.options, { step_size: 0.25 });
  // A step that does not divide the interval ends on it: 0, 0.3, 0.6, 0.9, 1.
  const uneven = solveFlowOptions({ stepSize: 0.3 }, { from: 0, to: 1, everyStep: true, defaultMethod: 'euler' });
  t.deepEqual(uneven.t, [0, 0.3, 0.6, 0.8999999999999999, 1]);
  t.is(solveFlowOptions({}, { from: 0, to: 1, defaultMethod: 'midpoint' }).odeint.options?.step_size, 1 / 100);
});

test('adaptive methods: tolerances (default 1e-5), no evaluation past the end; steps are not theirs', (t) => {
  const s = solveFlowOptions({ steps: 7 }, { from: 1, to: 0, everyStep: true, defaultMethod: 'dopri5' });
  t.deepEqual(s, { method: 'dopri5', t: [1, 0], odeint: { method: 'dopri5', rtol: 1e-5, atol: 1e-5, options: { noOvershoot: true } } });
  t.deepEqual(solveFlowOptions({ method: 'tsit5', rtol: 1e-3, atol: 1e-6 }, { from: 0, to: 1, defaultMethod: 'euler' }).odeint, { method: 'tsit5', rtol: 1e-3, atol: 1e-6, options: { noOvershoot: true } });
});

test('bad solver options are typed errors naming the option', (t) => {
  const span = { from: 0, to: 1, defaultMethod: 'euler' as const };
  t.throws(() => solveFlowOptions({ steps: 0 }, span), { instanceOf: ArgumentError, message: /for steps/ });
  t.throws(() => solveFlowOptions({ stepSize: -1 }, span), { instanceOf: ArgumentError, message: /for stepSize/ });
  t.throws(() => solveFlowOptions({}, { ...span, times: [0, 0.5] }), { instanceOf: ArgumentError, message: /increasing array of times from 0 to 1 for t/ });
  t.throws(() => solveFlowOptions({}, { from: 1, to: 0, times: [1, 0.5], defaultMethod: 'euler' }), { instanceOf: ArgumentError, message: /decreasing array of times from 1 to 0 for t/ });
  // A grid of a billion steps fails before it is built.
  t.throws(() => solveFlowOptions({ stepSize: 1e-9 }, { ...span, everyStep: true }), { instanceOf: SolverError, message: /max_num_steps/ });
});

test('an unknown method is the same ArgumentError from sample, sampleAsync, likelihood, likelihoodAsync and odeint', async (t) => {
  const x = tensor([[1, 2]], { dtype: 'float64' });
  const model: VelocityModel = (y) => y.mul(0);
  const errors = [
    t.throws(() => sample(model, { x0: x, method: 'rk45' as never }), { instanceOf: ArgumentError }),
    await t.throwsAsync(sampleAsync(model, { x0: x, method: 'rk45' as never }), { instanceOf: ArgumentError }),
    t.throws(() => likelihood(model, x, { method: 'rk45' as never }), { instanceOf: ArgumentError }),
    await t.throwsAsync(likelihoodAsync(model, x, { method: 'rk45' as never }), { instanceOf: ArgumentError }),
    t.throws(() => odeint((_s, y) => y, x, [0, 1], { method: 'rk45' as never }), { instanceOf: ArgumentError }),
  ];
  t.regex(errors[0]!.message, /^Expected one of 'dopri5', .*'euler'.* for method but received "rk45"$/);
  for (const e of errors) {
    t.is(e!.message, errors[0]!.message);
    t.is(e!.code, errors[0]!.code);
  }
  x.dispose();
});
