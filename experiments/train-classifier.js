/**
 * Trains the Fashion-MNIST classifier whose penultimate layer is the FID feature network of
 * the image experiments, and records its test accuracy.
 *
 * Budget: 3 epochs over the 60 000 training images at batch 128 (1404 Adam steps, lr 1e-3),
 * a few minutes on 2 CPU cores with one libtorch thread.
 *
 * Reproduce: nice -n 10 node --import tsx experiments/train-classifier.js [EPOCHS]
 * Writes assets/fashion-classifier.safetensors (the weights the package ships) and
 * experiments/classifier-results.json.
 */
const fs = require('node:fs');
const path = require('node:path');
const fm = require('../lib/index.ts');

const EPOCHS = Number(process.argv[2] ?? 3);
const FILE = path.join(__dirname, '..', 'assets', 'fashion-classifier.safetensors');

fm.setNumThreads(Number(process.env.FM_THREADS ?? 1));

async function main() {
  const { classifier, losses, seconds } = await fm.trainFashionClassifier({
    epochs: EPOCHS,
    batchSize: 128,
    seed: 0,
    file: FILE,
    onStep: (step, loss) => {
      if (step % 100 === 0) console.log(`step ${step} loss ${loss.toFixed(4)}`);
    },
  });
  const test = fm.loadMnist({ split: 'test' });
  const train = fm.loadMnist({ split: 'train' });
  const testAccuracy = classifier.accuracy(test.x, test.labels);
  const trainAccuracy = classifier.accuracy(train.x.narrow(0, 0, 10000), train.labels.narrow(0, 0, 10000));
  // The reloaded file is what the experiments use, so its accuracy is the one to record.
  const reloaded = fm.loadFashionClassifier(FILE);
  const reloadedAccuracy = reloaded.accuracy(test.x, test.labels);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const record = {
    epochs: EPOCHS,
    batchSize: 128,
    steps: losses.length,
    trainSeconds: seconds,
    firstLossMean50: mean(losses.slice(0, 50)),
    lastLossMean50: mean(losses.slice(-50)),
    trainAccuracyFirst10k: trainAccuracy,
    testAccuracy,
    reloadedTestAccuracy: reloadedAccuracy,
    bytes: fs.statSync(FILE).size,
  };
  fs.writeFileSync(path.join(__dirname, 'classifier-results.json'), JSON.stringify(record, null, 2) + '\n');
  console.log(record);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
