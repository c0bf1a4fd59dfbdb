'use strict';
// The Fashion-MNIST files the image tests and examples read: found where lib/data/mnist.ts
// looks for them (FLOWMATCH_FASHION_MNIST_DIR, else Debian's folder), or installed from
// Debian's dataset-fashion-mnist package where apt-get may run without asking (root, or
// passwordless sudo). Otherwise it says where to put the files. Never fails the set-up:
// without the data those tests skip and say why.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
const PACKAGE = 'dataset-fashion-mnist';
const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

function folder() {
  return process.env.FLOWMATCH_FASHION_MNIST_DIR || DEBIAN_DIR;
}

function missingFiles(dir) {
  return FILES.filter((f) => !fs.existsSync(path.join(dir, f)) && !fs.existsSync(path.join(dir, `${f}.gz`)));
}

function succeeds(command, args, options = { stdio: 'ignore' }) {
  const r = spawnSync(command, args, options);
  return !r.error && r.status === 0;
}

/** The command prefix that runs apt-get without a password prompt, or a reason why none does. */
function aptRunner() {
  if (process.platform !== 'linux' || !succeeds('apt-get', ['--version'])) return { problem: 'apt-get is not available' };
  if (typeof process.getuid === 'function' && process.getuid() === 0) return { prefix: [] };
  if (succeeds('sudo', ['-n', 'true'])) return { prefix: ['sudo', '-n'] };
  return { problem: 'installing a Debian package needs root, and sudo asks for a password (`sudo -n true` failed)' };
}

function whereToPut(dir) {
  return [
    `  Put the four IDX files (${FILES.map((f) => `${f}.gz`).join(', ')}; raw or gzipped) in ${dir},`,
    `  or install Debian's package yourself: sudo apt-get install ${PACKAGE}`,
    '  (or name another folder with FLOWMATCH_FASHION_MNIST_DIR). Until then the tests that need the data skip and say so.',
  ].join('\n');
}

/** Ensures the data is there where possible; logs what it found or did. Returns true when the files are present. */
function ensureFashionMnist(log = console.log) {
  const dir = folder();
  log('\n▸ Fashion-MNIST (for the image tests and examples)');
  const missing = missingFiles(dir);
  if (missing.length === 0) {
    log(`  found in ${dir}`);
    return true;
  }
  if (dir !== DEBIAN_DIR) {
    log(`  FLOWMATCH_FASHION_MNIST_DIR=${dir} lacks ${missing.join(', ')}: the Debian package installs into ${DEBIAN_DIR} only.`);
    log(whereToPut(dir));
    return false;
  }
  if (process.env.FLOWMATCH_SETUP_NO_APT) {
    log(`  not in ${dir}, and FLOWMATCH_SETUP_NO_APT is set: not running apt-get.`);
    log(whereToPut(dir));
    return false;
  }
  const apt = aptRunner();
  if (apt.problem) {
    log(`  not in ${dir}, and it cannot be installed here: ${apt.problem}.`);
    log(whereToPut(dir));
    return false;
  }
  const run = (args) => {
    const [command, ...rest] = [...apt.prefix, 'apt-get', ...args];
    log(`  $ ${[command, ...rest].join(' ')}`);
    // apt's own errors stay visible; a package install must never stop to ask a question.
    return succeeds(command, rest, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  log(`  not in ${dir}: installing Debian's ${PACKAGE} (set FLOWMATCH_SETUP_NO_APT=1 to skip this).`);
  // The package lists may be stale or empty on a fresh machine: update once if the first try fails.
  const installed = run(['install', '-y', '-qq', PACKAGE]) || (run(['update', '-qq']) && run(['install', '-y', '-qq', PACKAGE]));
  const still = missingFiles(dir);
  if (installed && still.length === 0) {
    log(`  installed ${PACKAGE}: the files are in ${dir}`);
    return true;
  }
  log(`  apt-get could not install ${PACKAGE}${installed ? ` (installed, but ${still.join(', ')} still missing)` : ''}.`);
  log(whereToPut(dir));
  return false;
}

module.exports = { ensureFashionMnist, DEBIAN_DIR, FILES };

if (require.main === module) ensureFashionMnist();
