import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

// `npm install flowmatch` as a user gets it: the package and the platform packages are
// packed into tarballs (npm run prebuild, npm pack), installed into a new folder whose PATH
// holds only node, npm and sh (no compiler, cmake, make or Python), and used from CommonJS,
// ESM and strict TypeScript. Then the same folder is broken the three ways a user's can be.

const ROOT = path.resolve(__dirname, '..', '..');
const PREBUILDS = path.join(ROOT, 'prebuilds');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-install-'));
const app = path.join(work, 'app');
const bin = path.join(work, 'bin');
const TOOLS_THAT_MUST_BE_ABSENT = ['g++', 'c++', 'cc', 'gcc', 'cmake', 'make', 'python3', 'python'];

function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8', timeout: 10 * 60_000 });
}

function mustRun(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const r = run(command, args, opts);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The user's environment: a PATH with node, npm, npx and sh only. */
const userEnv: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: bin, npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm'), npm_config_update_notifier: 'false' };
const node = (args: string[]) => run(path.join(bin, 'node'), args, { cwd: app, env: userEnv });
const flowmatchCli = (args: string[]) => run(path.join(bin, 'npx'), ['--no-install', 'flowmatch', ...args], { cwd: app, env: userEnv });

const TRAIN_AND_SAMPLE = `
  const model = fm.createMLP({ dim: 2, hidden: [64, 64], activation: 'silu' });
  const result = await fm.train({ model, path: fm.otPath(), data: () => ({ x: fm.checkerboard(256) }), steps: 50, optimizer: { name: 'adam', lr: 3e-3 } });
  const { samples, nfe } = fm.sample(model, { n: 200, shape: [2], method: 'dopri5', rtol: 1e-4, atol: 1e-4 });
  console.log(JSON.stringify({ steps: result.step, loss: result.finalLoss, shape: samples.shape, nfe, finite: fm.allFinite(samples) }));
`;

const sizes: Record<string, number> = {};
let installSeconds = 0;

test.before(() => {
  fs.mkdirSync(bin);
  for (const tool of ['node', 'npm', 'npx']) fs.symlinkSync(path.join(path.dirname(process.execPath), tool), path.join(bin, tool));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  mustRun(process.execPath, [path.join(ROOT, 'scripts', 'prebuild.js')]);
  mustRun('npm', ['pack', '--silent', '--pack-destination', PREBUILDS]);
  const tarballs = fs.readdirSync(PREBUILDS).filter((f) => f.endsWith('.tgz')).map((f) => path.join(PREBUILDS, f));
  for (const file of tarballs) sizes[path.basename(file)] = fs.statSync(file).size;
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const started = process.hrtime.bigint();
  mustRun(path.join(bin, 'npm'), ['install', '--no-audit', '--no-fund', ...tarballs], { cwd: app, env: userEnv });
  installSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = `npm install: ${installSeconds.toFixed(1)} s; tarballs: ${Object.entries(sizes).map(([f, s]) => `${f} ${(s / 1e6).toFixed(1)} MB`).join(', ')}`;
  console.log(`install.test: ${summary}`);
});

test.after.always(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

test('the user PATH has no compiler, build tool or Python', (t) => {
  for (const tool of TOOLS_THAT_MUST_BE_ABSENT) {
    t.not(run('/bin/sh', ['-c', `command -v ${tool}`], { env: userEnv }).status, 0, tool);
  }
  t.log(`npm install took ${installSeconds.toFixed(1)} s; ${Object.entries(sizes).map(([f, s]) => `${f}: ${(s / 1e6).toFixed(1)} MB`).join('; ')}`);
});

test('the install ran no script and left no build intermediates', (t) => {
  const modules = path.join(app, 'node_modules');
  t.false(fs.existsSync(path.join(modules, 'flowmatch', 'build')), 'no build folder in the package');
  const big = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    return e.isDirectory() ? big(file) : /\.(gch|pch|o)$/.test(e.name) ? [file] : [];
  });
  t.deepEqual(big(modules), []);
  t.true(fs.existsSync(path.join(modules, '@flowmatch', 'linux-x64', 'flowmatch.node')));
});

test('CommonJS: train 50 steps on checkerboard and sample with dopri5', (t) => {
  fs.writeFileSync(path.join(app, 'train.cjs'), `const fm = require('flowmatch');\n(async () => {${TRAIN_AND_SAMPLE}})();\n`);
  const r = node(['train.cjs']);
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.is(out.steps, 50);
  t.deepEqual(out.shape, [200, 2]);
  t.true(out.finite && Number.isFinite(out.loss) && out.nfe > 0, r.stdout);
});

test('ESM: the same through import', (t) => {
  fs.writeFileSync(path.join(app, 'train.mjs'), `import * as fm from 'flowmatch';\n${TRAIN_AND_SAMPLE}`);
  const r = node(['train.mjs']);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!).shape, [200, 2]);
});

test('strict TypeScript type-checks against the installed types', (t) => {
  fs.writeFileSync(path.join(app, 'train.mts'), `import * as fm from 'flowmatch';\nimport type { Tensor } from 'flowmatch';\nconst keep: Tensor[] = [];\n${TRAIN_AND_SAMPLE}\nkeep.push(samples);\n`);
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')] },
    files: ['train.mts'],
  }));
  const r = node([path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app]);
  t.is(r.status, 0, r.stdout + r.stderr);
});

test('one process: require and import share tensors and error classes', (t) => {
  fs.writeFileSync(path.join(app, 'both.mjs'), `
    import { createRequire } from 'node:module';
    import * as esm from 'flowmatch';
    const cjs = createRequire(import.meta.url)('flowmatch');
    const a = cjs.tensor([1, 2, 3]);
    const b = esm.tensor([10, 20, 30]);
    const sum = esm.add(a, b).toArray();
    const back = cjs.mul(b, a).toArray();
    let fromCjs, fromEsm;
    try { cjs.zeros([-1]); } catch (e) { fromCjs = e; }
    try { esm.zeros([-1]); } catch (e) { fromEsm = e; }
    console.log(JSON.stringify({ sum, back, tensorClass: a instanceof esm.Tensor && b instanceof cjs.Tensor,
      errors: fromCjs instanceof esm.FlowmatchError && fromEsm instanceof cjs.FlowmatchError, live: cjs.memory().cpu.tensors }));
  `);
  const r = node(['both.mjs']);
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim());
  t.deepEqual(out.sum, [11, 22, 33]);
  t.deepEqual(out.back, [10, 40, 90]);
  t.true(out.tensorClass);
  t.true(out.errors);
});

test('doctor exits 0 and names the prebuilt addon and the libtorch package', (t) => {
  const r = flowmatchCli(['doctor']);
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /prebuilt .*linux-x64.*\(chosen\)/);
  t.regex(r.stdout, /libtorch 2\.13.* from package/);
});

/** Breaks the installed folder with `damage`, checks every user-facing path, repairs it. */
function broken(title: string, damage: () => () => void, expect: { code: string; fix: RegExp }) {
  test.serial(`${title}: require throws one typed error saying what to do; doctor exits 1; --help and --version work`, (t) => {
    const repair = damage();
    try {
      const r = node(['-e', `try { require('flowmatch').zeros([1]); console.log('loaded'); } catch (e) {
        console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, flowmatch: e instanceof require('flowmatch').FlowmatchError }));
      }`]);
      t.is(r.status, 0, r.stderr);
      const error = JSON.parse(r.stdout.trim());
      t.is(error.code, expect.code);
      t.true(error.flowmatch, 'a FlowmatchError');
      t.regex(error.message, expect.fix);
      t.false(/undefined symbol|Segmentation|at Module\._compile/.test(r.stdout + r.stderr));
      const doctor = flowmatchCli(['doctor']);
      t.is(doctor.status, 1, doctor.stdout);
      t.regex(doctor.stdout, expect.fix);
      const help = flowmatchCli(['--help']);
      t.is(help.status, 0, help.stderr);
      t.regex(help.stdout, /usage: flowmatch/);
      const version = flowmatchCli(['--version']);
      t.is(version.status, 0, version.stderr);
      t.is(version.stdout.trim(), JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    } finally {
      repair();
    }
  });
}

/** Moves a folder aside; returns the function that moves it back. */
function moveAside(dir: string): () => void {
  const aside = `${dir}.aside`;
  fs.renameSync(dir, aside);
  return () => fs.renameSync(aside, dir);
}

const packageDir = (name: string) => path.join(app, 'node_modules', '@flowmatch', name);

broken('without the addon package', () => moveAside(packageDir('linux-x64')), { code: 'ERR_ADDON_NOT_FOUND', fix: /npm install @flowmatch\/linux-x64/ });

broken('without libtorch', () => moveAside(packageDir('libtorch-linux-x64')), { code: 'ERR_LIBTORCH_NOT_FOUND', fix: /npm install @flowmatch\/libtorch-linux-x64|LIBTORCH/ });

// Another libtorch version: the package's own record of its version says 2.12, as a wheel
// of that version would; the loader must refuse before the addon binds to its symbols.
broken('with a libtorch of another version', () => {
  const manifest = path.join(packageDir('libtorch-linux-x64'), 'package.json');
  const original = fs.readFileSync(manifest, 'utf8');
  const changed = JSON.parse(original);
  changed.libtorch.version = '2.12.1+cpu';
  fs.writeFileSync(manifest, JSON.stringify(changed));
  return () => fs.writeFileSync(manifest, original);
}, { code: 'ERR_LIBTORCH_MISMATCH', fix: /2\.12\.1.*built for 2\.13|libtorch 2\.13/ });

test('publint and arethetypeswrong find nothing in the packed package', (t) => {
  const tarball = path.join(PREBUILDS, `flowmatch-${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}.tgz`);
  const publint = run(path.join(ROOT, 'node_modules', '.bin', 'publint'), ['run', tarball, '--strict']);
  t.is(publint.status, 0, publint.stdout + publint.stderr);
  const attw = run(path.join(ROOT, 'node_modules', '.bin', 'attw'), [tarball, '--format', 'ascii']);
  t.is(attw.status, 0, attw.stdout + attw.stderr);
  t.regex(attw.stdout, /No problems found/);
});

test('build-from-source says what is missing: no compiler on the user PATH', (t) => {
  const r = flowmatchCli(['build-from-source']);
  t.is(r.status, 1, r.stdout + r.stderr);
  t.regex(r.stderr, /c\+\+ was not found\. Fix: install a C\+\+17 compiler/);
  t.false(fs.existsSync(path.join(app, 'node_modules', 'flowmatch', 'build')), 'nothing written into the package');
});
