/**
 * Tests that read the installed Fashion-MNIST files. Without them they are skipped, not
 * failed, with the reason printed and "needs Fashion-MNIST" in every title, so that CI
 * (which installs the data) can count such a skip as the failure it is there.
 */
import test, { type ImplementationFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FASHION_MNIST_DIR } from '../../lib/data/mnist';

const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
const missing = FILES.filter((f) => !fs.existsSync(path.join(FASHION_MNIST_DIR, f)) && !fs.existsSync(path.join(FASHION_MNIST_DIR, `${f}.gz`)));

export const haveFashionMnist = missing.length === 0;

export const fashionMnistMissing = haveFashionMnist
  ? ''
  : `Fashion-MNIST is not in ${FASHION_MNIST_DIR} (missing ${missing.map((f) => `${f}[.gz]`).join(', ')}): \`npm run setup\` installs Debian's dataset-fashion-mnist where apt-get may run, or put the four IDX files there (or in a folder named by FLOWMATCH_FASHION_MNIST_DIR)`;

/**
 * ava's test (or test.serial) for a test that needs the data; `file` names the test file in
 * the printed reason.
 */
export function fashionMnistTest(file: string, { serial = false } = {}): (title: string, fn: ImplementationFn<[]>) => void {
  if (!haveFashionMnist) console.log(`${file}: skipping the tests that need Fashion-MNIST: ${fashionMnistMissing}`);
  const run = haveFashionMnist ? (serial ? test.serial : test) : serial ? test.serial.skip : test.skip;
  return (title, fn) => run(`${title} (needs Fashion-MNIST)`, fn);
}
