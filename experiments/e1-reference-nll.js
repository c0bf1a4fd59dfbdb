/**
 * The true NLL (nats) of E1's held-out points where the density is known in closed form: the
 * floor a perfect model would reach. Checkerboard is uniform on 8 squares of area 4
 * (−log p = log 32 everywhere on its support); 8gaussians is an explicit mixture. Moons has
 * no closed-form density. Same seed as experiments/e1-2d.js, so the same 1000 points.
 *
 * Reproduce: node --import tsx experiments/e1-reference-nll.js
 */
const fm = require('../lib/index.ts');

fm.manualSeed(1_000_003);
const checker = fm.sampleToy('checkerboard', 1000);
const inside = fm.tidy(() => fm.insideCheckerboard(checker).to('float32').mean().item());
console.log(`checkerboard: -log p = log 32 = ${Math.log(32).toFixed(3)} nats (fraction of points on the support: ${inside})`);
fm.manualSeed(1_000_003);
const gaussians = fm.sampleToy('8gaussians', 1000);
console.log(`8gaussians: true NLL of the held-out points = ${fm.tidy(() => -fm.EIGHT_GAUSSIANS.logProb(gaussians).mean().item()).toFixed(3)} nats`);
