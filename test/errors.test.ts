import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fm from '../lib/index';
import { makeNativeError } from '../lib/errors';
import { native } from '../lib/native';
import { UsageError } from '../lib/run/options';
import { HttpError } from '../lib/serve/server';
import { TABLE_END, TABLE_START, errorCodeTable } from './helpers/error-code-table';

/**
 * Bad inputs: each must throw a FlowmatchError subclass with a code and a one-line message
 * that names the problem — never crash, abort, hang or return NaN silently.
 */
type Case = [label: string, run: () => unknown, cls: new (...a: never[]) => fm.FlowmatchError, message: RegExp];

const f = (): fm.Tensor => fm.ones([2, 3]);
const disposed = (): fm.Tensor => {
  const t = fm.ones([2]);
  t.dispose();
  return t;
};
let leaked: fm.Tensor;

const cases: Case[] = [
  // shape mismatches
  ['add with incompatible shapes', () => f().add(fm.ones([4])), fm.ShapeError, /size of tensor a \(3\) must match the size of tensor b \(4\)/],
  ['matmul with incompatible shapes', () => f().matmul(f()), fm.ShapeError, /cannot be multiplied \(2x3 and 2x3\)/],
  ['bmm on 2-D tensors', () => f().bmm(f()), fm.ShapeError, /3D|3-D|dim/i],
  ['reshape to the wrong element count', () => f().reshape([4, 2]), fm.ShapeError, /shape '\[4, 2\]' is invalid for input of size 6/],
  ['view of a non-contiguous tensor', () => f().T.view([6]), fm.FlowmatchError, /view size is not compatible|contiguous/],
  ['cat of mismatched shapes', () => fm.cat([f(), fm.ones([2, 4])]), fm.ShapeError, /Sizes of tensors must match|size/i],
  ['stack of mismatched shapes', () => fm.stack([f(), fm.ones([3, 2])]), fm.FlowmatchError, /stack expects each tensor to be equal size/],
  ['expand to an incompatible shape', () => f().expand([4, 3]), fm.ShapeError, /expanded size/],
  ['mseLoss of different shapes', () => fm.mseLoss(f(), fm.ones([3, 2])), fm.ShapeError, /input shape \[2,3\] and target shape \[3,2\] differ/],
  ['interpolate on a 1-D tensor', () => fm.interpolate(fm.ones([4]), { size: 8 }), fm.ArgumentError, /Expected a tensor of shape \[N, C, \.\.\.spatial\]/],
  ['item of a multi-element tensor', () => f().item(), fm.ShapeError, /exactly one element, this one has 6/],
  ['ragged nested arrays', () => fm.tensor([[1, 2], [3]]), fm.ArgumentError, /Expected an array of length 2 for data\[1\]/],
  ['shape option not matching the data', () => fm.tensor(new Float32Array(5), { shape: [2, 3] }), fm.ShapeError, /holds 5 elements but the shape asks for 6/],
  // dtype problems
  ['requiresGrad on an integer tensor', () => fm.ones([2], { dtype: 'int64', requiresGrad: true }), fm.DTypeError, /floating point/],
  ['unknown dtype', () => fm.zeros([2], { dtype: 'float8' as never }), fm.ArgumentError, /Expected a dtype \(float32, float64.*\) for options\.dtype but received "float8"/],
  ['indexSelect with a float index', () => f().indexSelect(0, fm.tensor([0])), fm.FlowmatchError, /index.*Long|Int|int/i],
  ['gather with a float index', () => f().gather(1, fm.ones([2, 1])), fm.DTypeError, /Expected dtype int32\/int64 for index/],
  ['in-place float result into an int tensor', () => fm.ones([2], { dtype: 'int64' }).mul_(1.5), fm.DTypeError, /result type Float can't be cast to the desired output type Long/],
  ['logical op on a mix of numbers and booleans', () => fm.tensor([1, true] as never), fm.ArgumentError, /numbers or booleans, not a mix/],
  // devices
  ['malformed device string', () => fm.zeros([2], { device: 'gpu' as never }), fm.ArgumentError, /Expected a device \('cpu', 'cuda', 'cuda:N' or 'meta'\) for options\.device but received "gpu"/],
  ['to() an unknown target', () => f().to('tpu' as never), fm.ArgumentError, /Expected a dtype/],
  ['CUDA tensor where no CUDA exists', () => (fm.cuda.isAvailable() ? fm.zeros([2], { device: 'cuda:99' as never }) : fm.zeros([2], { device: 'cuda' })), fm.FlowmatchError, /CUDA|cuda|device/],
  // disposed tensors and finished scopes
  ['reading a disposed tensor', () => disposed().toArray(), fm.DisposedError, /disposed/],
  ['shape of a disposed tensor', () => disposed().shape, fm.DisposedError, /Cannot read shape: the tensor was disposed/],
  ['op on a disposed tensor', () => disposed().exp(), fm.DisposedError, /Cannot exp: the tensor was disposed/],
  ['disposed tensor as the second operand', () => f().add(disposed()), fm.DisposedError, /argument 1 is a disposed tensor/],
  ['disposed tensor inside a list', () => fm.cat([f(), disposed()]), fm.DisposedError, /disposed/],
  ['tensor from a finished scope', () => {
    fm.tidy(() => { leaked = fm.ones([3]); });
    return leaked.sum();
  }, fm.DisposedError, /disposed \(by dispose\(\) or by the end of its scope\)/],
  // out-of-range indices
  ['select out of range', () => f().select(0, 5), fm.ShapeError, /out of range|out of bounds/],
  ['dim out of range', () => f().sum(3), fm.ShapeError, /Dimension out of range/],
  ['indexSelect out of range', () => f().indexSelect(0, fm.tensor([7], { dtype: 'int64' })), fm.ShapeError, /out of range|index/i],
  ['split along a missing dim', () => f().split(1, 4), fm.ArgumentError, /Expected a dim in \[-2, 1\] for dim but received 4/],
  ['narrow past the end', () => f().narrow(1, 2, 5), fm.FlowmatchError, /exceeds dimension size|start.*length/],
  // non-finite and negative sizes
  ['negative size', () => fm.zeros([2, -1]), fm.ArgumentError, /Expected a shape \(an array of non-negative integers\) for shape but received \[2, -1\]/],
  ['NaN size', () => fm.ones([NaN]), fm.ArgumentError, /for shape but received \[NaN\]/],
  ['Infinity size', () => fm.rand([Infinity]), fm.ArgumentError, /for shape but received \[Infinity\]/],
  ['fractional size', () => fm.randn([2.5]), fm.ArgumentError, /for shape but received \[2\.5\]/],
  ['linspace with a NaN end', () => fm.linspace(0, NaN, 3), fm.ArgumentError, /Expected a finite number for end but received NaN/],
  ['arange with step 0', () => fm.arange(0, 1, 0), fm.ArgumentError, /Expected a non-zero number for step but received 0/],
  ['randint with high ≤ low', () => fm.randint(5, 5, [2]), fm.ArgumentError, /Expected an integer greater than low \(5\) for high but received 5/],
  // wrong argument types
  ['string as data', () => fm.tensor('abc' as never), fm.ArgumentError, /Expected a number, a boolean, nested arrays or a TypedArray for data but received "abc"/],
  ['object as operand', () => f().add({} as never), fm.ArgumentError, /Expected a Tensor or a number for other but received an object/],
  ['string as operand', () => f().mul('2' as never), fm.ArgumentError, /Expected a Tensor or a number for other but received "2"/],
  ['array as matmul operand', () => f().matmul([[1]] as never), fm.ArgumentError, /Expected a Tensor for other but received \[\[1\]\]/],
  ['non-integer dim', () => f().unsqueeze(0.5), fm.ArgumentError, /Expected an integer for dim but received 0\.5/],
  ['non-array to permute', () => f().permute('01' as never), fm.ArgumentError, /Expected an integer or an array of integers for dims but received "01"/],
  ['unsupported TypedArray', () => fm.tensor(new Uint16Array(2) as never), fm.ArgumentError, /Expected a Float32Array.*for data but received a Uint16Array of length 2/],
  ['non-function to tidy', () => fm.tidy(42 as never), fm.ArgumentError, /Expected a function for fn but received 42/],
  ['non-boolean requiresGrad', () => fm.ones([2], { requiresGrad: 'yes' as never }), fm.ArgumentError, /Expected a boolean for options\.requiresGrad but received "yes"/],
  ['negative thread count', () => fm.setNumThreads(0), fm.ArgumentError, /Expected an integer in \[1, \d+\] for n but received 0/],
  ['bad interpolation mode', () => fm.interpolate(fm.ones([1, 1, 2, 2]), { size: 4, mode: 'cubic' as never }), fm.ArgumentError, /Expected one of 'nearest', 'bilinear'.* for mode but received "cubic"/],
  ['grad with too few gradOutputs', () => fm.grad([f(), f()], f(), { gradOutputs: [f()] }), fm.ArgumentError, /Expected 2 gradOutputs \(one per output\) but received 1/],
  ['backward through a tensor without grad', () => f().sum().backward(), fm.FlowmatchError, /does not require grad/],
  ['clamp without bounds', () => f().clamp(null, null), fm.ArgumentError, /Expected at least one of min and max/],
];

for (const [label, run, cls, message] of cases) {
  test(`bad input: ${label}`, (t) => {
    fm.tidy(() => {
      const error = t.throws(run);
      t.true(error instanceof fm.FlowmatchError, `not a FlowmatchError: ${error?.constructor.name}`);
      t.true(error instanceof cls, `expected ${cls.name}, got ${error?.constructor.name}: ${error?.message}`);
      t.regex(error!.message, message);
      t.regex((error as fm.FlowmatchError).code, /^ERR_[A-Z_]+$/);
      t.false(error!.message.includes('\n'), 'message is one line');
      t.false(/Exception raised from|frame #/.test(error!.message), 'no C++ backtrace');
    });
  });
}

test(`there are at least 40 distinct bad-input cases (${cases.length})`, (t) => {
  t.true(cases.length >= 40);
  t.is(new Set(cases.map((c) => c[0])).size, cases.length);
});

test('native errors carry the user JS stack', (t) => {
  function userFunctionThatMultiplies(): void {
    fm.tidy(() => f().matmul(f()));
  }
  const error = t.throws(userFunctionThatMultiplies);
  t.regex(error!.stack ?? '', /userFunctionThatMultiplies/);
});

// ---- the registry of codes (lib/error-codes.ts) ------------------------------------------------

const ROOT = path.resolve(__dirname, '..');
const REGISTRY_FILE = 'lib/error-codes.ts';
const SOURCE_DIRS = ['lib', 'native', 'scripts'];
const SOURCE_FILE = /\.(ts|js|cjs|mjs|cpp|cc|h)$/;
// Codes of other software that flowmatch's source compares against but never throws.
const FOREIGN_CODES: Record<string, string> = {
  ERR_BUFFER_TOO_LARGE: "Node's zlib, for output past maxOutputLength",
};
// A code word: ERR_ not preceded by another word character (so FST_ERR_… is Fastify's, not ours).
const CODE_WORD = /(?<![A-Za-z0-9_])ERR_[A-Z0-9_]+/g;
const CODE_LITERAL = /(['"])(ERR_[A-Z0-9_]+)\1/g;

function sourceFiles(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (SOURCE_FILE.test(entry.name) && rel !== REGISTRY_FILE) out.push({ file: rel, text: fs.readFileSync(path.join(ROOT, rel), 'utf8') });
    }
  };
  SOURCE_DIRS.forEach(walk);
  return out;
}
const sources = sourceFiles();
const registered = new Set(Object.keys(fm.ERROR_CODES));

/** code → the files whose text has it as a quoted literal. */
function literalUses(files: { file: string; text: string }[]): Map<string, Set<string>> {
  const uses = new Map<string, Set<string>>();
  for (const { file, text } of files) {
    for (const m of text.matchAll(CODE_LITERAL)) {
      if (!uses.has(m[2])) uses.set(m[2], new Set());
      uses.get(m[2])!.add(file);
    }
  }
  return uses;
}

test('the scan sees the source: lib/, native/ and scripts/ files, with code literals in each', (t) => {
  const uses = literalUses(sources);
  for (const dir of SOURCE_DIRS) t.true([...uses.values()].some((files) => [...files].some((f) => f.startsWith(dir + path.sep))), dir);
  t.true(uses.size >= 30, `${uses.size} distinct codes`);
});

test('every code in lib/, native/ and scripts/ (literals, and mentions in comments) is registered', (t) => {
  const unknown: string[] = [];
  for (const { file, text } of sources) {
    for (const [code] of text.matchAll(CODE_WORD)) {
      if (!registered.has(code) && !(code in FOREIGN_CODES)) unknown.push(`${file}: ${code}`);
    }
  }
  t.deepEqual(unknown, []);
  for (const code of Object.keys(FOREIGN_CODES)) {
    t.false(registered.has(code), `${code} is another program's code`);
    t.true(literalUses(sources).has(code), `${code} is listed as foreign but no longer used`);
  }
});

test('every registered code is used by some source file: no dead codes', (t) => {
  const uses = literalUses(sources);
  t.deepEqual([...registered].filter((code) => !uses.has(code)), []);
});

// One way to make an instance of each class with a given code; classes whose constructor
// fixes the code (UsageError, RequestError, SafetensorsError) ignore it, so a registry entry
// that claims such a class for another code fails below.
const MAKE: Record<fm.ErrorClassName, (code: never) => fm.FlowmatchError> = {
  FlowmatchError: (code) => new fm.FlowmatchError(code, 'm'),
  ArgumentError: (code) => new fm.ArgumentError('m', code),
  UsageError: () => new UsageError('m'),
  RequestError: () => new fm.RequestError('field', 'm'),
  ShapeError: (code) => new fm.ShapeError(code, 'm'),
  DTypeError: (code) => new fm.DTypeError(code, 'm'),
  DeviceError: (code) => new fm.DeviceError(code, 'm'),
  DisposedError: (code) => new fm.DisposedError(code, 'm'),
  NativeError: (code) => new fm.NativeError(code, 'm'),
  SolverError: (code) => new fm.SolverError(code, 'm', 0),
  SamplerError: (code) => new fm.SamplerError(code, 'm'),
  HttpError: (code) => new HttpError(501, code, 'm'),
  FileReadError: (code) => new fm.FileReadError(code, 'file', 'reason'),
  PngError: (code) => new fm.PngError(code, 'm'),
  SafetensorsError: () => new fm.SafetensorsError('file', 'reason'),
  DatasetError: (code) => new fm.DatasetError(code, 'm'),
  CheckpointError: (code) => new fm.CheckpointError(code, 'file', 'problem'),
  MetricsError: (code) => new fm.MetricsError(code, 'file', 'm'),
};

test('each registered code maps to classes whose instances carry it', (t) => {
  for (const code of registered) {
    const carriers = fm.carriersOf(code as fm.ErrorCode);
    t.is(new Set(carriers).size, carriers.length, `${code} lists a class twice`);
    for (const cls of carriers) {
      t.true(cls in MAKE, `${code}: ${cls} is not a known error class`);
      const e = MAKE[cls](code as never);
      t.true(e instanceof fm.FlowmatchError, `${code} ${cls}`);
      t.is(e.name, cls, `${code}`);
      t.is(e.code, code, `a ${cls} cannot carry ${code}`);
    }
  }
});

test('the addon only raises registered codes, and each becomes its registry class in makeNativeError', (t) => {
  const native = literalUses(sources.filter((s) => s.file.startsWith('native' + path.sep)));
  t.true(native.size >= 15, `${native.size} codes in native/`);
  for (const code of native.keys()) {
    t.true(registered.has(code), `${code} (in ${[...native.get(code)!].join(', ')}) is not registered`);
    const e = makeNativeError(code, 'fn: message');
    t.is(e.code, code, code);
    t.is(e.name, fm.ERROR_CODES[code as fm.ErrorCode].class, code);
    t.is(e.message, 'fn: message');
  }
  const stray = makeNativeError('ERR_NOT_REGISTERED', 'fn: message');
  t.true(stray instanceof fm.NativeError);
  t.is(stray.code, 'ERR_INTERNAL');
  t.regex(stray.message, /ERR_NOT_REGISTERED/);
});

test('a plain FlowmatchError is only thrown with codes registered for FlowmatchError', (t) => {
  // The constructors of the subclasses take only their own codes (tsc checks those); the base
  // class takes any code, so its direct uses are checked here.
  const wrong: string[] = [];
  for (const { file, text } of sources.filter((s) => s.file.endsWith('.ts'))) {
    for (const m of text.matchAll(/new FlowmatchError\(\s*'(ERR_[A-Z0-9_]+)'/g)) {
      if (!fm.carries('FlowmatchError', m[1] as fm.ErrorCode)) wrong.push(`${file}: ${m[1]}`);
    }
  }
  t.deepEqual(wrong, []);
});

test("README.md's table of error codes is the registry's", (t) => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  t.true(start >= 0 && end > start, 'README.md has the markers around its table of codes');
  t.is(readme.slice(start + TABLE_START.length, end).trim(), errorCodeTable(), 'refresh it: npx tsx test/helpers/error-code-table.ts');
  const unknown = [...readme.matchAll(CODE_WORD)].map((m) => m[0]).filter((code) => !registered.has(code));
  t.deepEqual(unknown, [], 'README.md mentions unregistered codes');
});

// ---- one classification stage for libtorch's errors (native/errors.cpp) ------------------------

const classified: [label: string, run: () => unknown, cls: new (...a: never[]) => fm.FlowmatchError, code: fm.ErrorCode][] = [
  // c10::Error, by its message
  ['broadcast mismatch', () => f().add(fm.ones([4])), fm.ShapeError, 'ERR_SHAPE'],
  ['matmul mismatch', () => f().matmul(f()), fm.ShapeError, 'ERR_SHAPE'],
  ['bmm on 2-D tensors ("must be a 3D tensor")', () => f().bmm(f()), fm.ShapeError, 'ERR_SHAPE'],
  ['result type that cannot be cast', () => fm.ones([2], { dtype: 'int64' }).mul_(1.5), fm.DTypeError, 'ERR_DTYPE'],
  ['index of a float dtype', () => f().gather(1, fm.ones([2, 1])), fm.DTypeError, 'ERR_DTYPE'],
  ['tensors on two devices', () => f().add(fm.ones([2, 3], { device: 'meta' })), fm.DeviceError, 'ERR_DEVICE'],
  ['no rule matches', () => f().sum().backward(), fm.NativeError, 'ERR_NATIVE'],
  // c10 error subclasses, by their type
  ['c10::IndexError', () => f().select(0, 5), fm.ShapeError, 'ERR_INDEX'],
  ['c10::NotImplementedError', () => fm.ones([2], { device: 'meta' }).toArray(), fm.NativeError, 'ERR_UNSUPPORTED'],
  // flowmatch's own C++ checks
  ['a native argument check', () => native.setNumThreads(1e9), fm.ArgumentError, 'ERR_INVALID_ARGUMENT'],
];

for (const [label, run, cls, code] of classified) {
  test(`libtorch's errors are classified once, natively: ${label} → ${cls.name} ${code}`, (t) => {
    fm.tidy(() => {
      const error = t.throws(run, { instanceOf: cls, code });
      t.false(/Exception raised from|\n/.test(error!.message), 'one line, no backtrace');
    });
  });
}
