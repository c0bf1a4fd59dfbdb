/**
 * What adversarial calls are made of: valid tensors and models to pass next to the bad
 * argument (each released after the call), hostile objects (getters that throw or allocate,
 * Proxies, fake tensors), and special files in a private temp folder (a FIFO, a directory,
 * an empty file, garbage, files that do not exist).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fm from '../../lib/index';

export class Fixtures {
  // Inside the pool's folder when there is one, so that a child killed mid-call leaves nothing behind.
  readonly dir = fs.mkdtempSync(path.join(process.env.FLOWMATCH_ADV_TMP ?? os.tmpdir(), 'flowmatch-adv-'));
  /** Errors that hostile getters and callbacks throw: the library may pass these on as they are. */
  readonly userErrors = new Set<unknown>();
  private owned: { dispose(): void }[] = [];
  private readonly persistent = new Set<unknown>();
  private readonly files: Record<string, string> = {};

  constructor() {
    const file = (name: string, content: string | Buffer): string => {
      const p = path.join(this.dir, name);
      fs.writeFileSync(p, content);
      return p;
    };
    this.files.empty = file('empty.bin', '');
    this.files.garbage = file('garbage.bin', Buffer.from('not a tensor file, not a png, not idx \x00\x01\x02'));
    // A safetensors header that claims 8 bytes of JSON and then has fewer.
    this.files.truncated = file('truncated.safetensors', Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 0x7b]));
    this.files.hugeHeader = file('huge-header.safetensors', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x7b, 0x7d]));
    this.files.badJson = file('metrics.jsonl', '{"step": 1}\n{"step": 2, "lo\n{"step": 3}\n');
    this.files.folder = path.join(this.dir, 'folder');
    fs.mkdirSync(this.files.folder);
    this.files.imageFolder = path.join(this.dir, 'images');
    fs.mkdirSync(path.join(this.files.imageFolder, 'cats'), { recursive: true });
    fs.writeFileSync(path.join(this.files.imageFolder, 'cats', 'a.png'), 'not a png');
    this.files.fifo = path.join(this.dir, 'fifo');
    execFileSync('mkfifo', [this.files.fifo]);
    this.files.missing = path.join(this.dir, 'does', 'not', 'exist.bin');
    this.files.underFile = path.join(this.files.garbage, 'child.bin');
  }

  /** A special path by name: empty, garbage, truncated, hugeHeader, badJson, folder, imageFolder, fifo, missing, underFile. */
  file(name: string): string {
    const p = this.files[name];
    if (p === undefined) throw new Error(`no fixture file ${name}`);
    return p;
  }

  /** Every special path, with the system ones. */
  specialPaths(): string[] {
    return [...Object.values(this.files), '/dev/zero', '/dev/null', '/proc/self/status', '/', ''];
  }

  /** Releases `value` after the call: for the values a case makes itself next to the bad argument. */
  own<T extends { dispose(): void }>(value: T): T {
    this.owned.push(value);
    return value;
  }

  /** A float32 tensor of `shape` (random normal), released after the call. */
  t(shape: number[] = [4, 2], opts: fm.TensorOptions = {}): fm.Tensor {
    return this.own(fm.randn(shape, { dtype: 'float32', ...opts }));
  }

  /** An int64 tensor of `shape`, released after the call. */
  ints(shape: number[] = [4], high = 3): fm.Tensor {
    return this.own(fm.randint(0, high, shape));
  }

  /** A small MLP on 2-D data, released after the call. */
  mlp(): fm.Module {
    return this.own(fm.createMLP({ dim: 2, width: 8, depth: 1 }));
  }

  /** A tensor already disposed. */
  disposed(): fm.Tensor {
    const x = fm.ones([2, 2]);
    x.dispose();
    return x;
  }

  /** A tensor released by the end of the tidy() it was made in. */
  fromClosedScope(): fm.Tensor {
    let escaped: fm.Tensor | undefined;
    fm.tidy(() => {
      escaped = fm.ones([2, 2]);
    });
    return escaped!;
  }

  /** Looks like a Tensor to instanceof, but was never made by the library. */
  fakeTensor(handle: unknown = 1): fm.Tensor {
    const fake = Object.create(fm.Tensor.prototype) as fm.Tensor;
    (fake as unknown as { _h: unknown })._h = handle;
    return fake;
  }

  /** The error a hostile getter throws, recorded so the harness accepts it passing through unchanged. */
  userError(): Error {
    const e = new Error('thrown by a hostile getter');
    this.userErrors.add(e);
    return e;
  }

  /** An object whose `key` getter throws (every other key absent). */
  throwingGetter(key: string): Record<string, unknown> {
    const e = this.userError();
    return Object.defineProperty({}, key, { enumerable: true, get: () => { throw e; } });
  }

  /** A Proxy whose every trap throws. */
  hostileProxy(): object {
    const e = this.userError();
    const trap = (): never => { throw e; };
    return new Proxy({}, { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap, set: trap, apply: trap });
  }

  /** An array of `values` whose element getters create and free tensors while they are read (JS running mid-call). */
  allocatingArray(values: number[]): number[] {
    const arr: number[] = [];
    values.forEach((v, i) =>
      Object.defineProperty(arr, i, {
        enumerable: true,
        get: () => {
          for (let k = 0; k < 64; k++) fm.zeros([8]).dispose();
          return v;
        },
      }),
    );
    return arr;
  }

  /** Marks values made once and reused by many calls, so releasing a call's result never frees them. */
  keepForever<T>(value: T): T {
    this.persistent.add(value);
    fm.keep(value);
    return value;
  }

  /** Releases what a call returned: tensors, and objects with dispose() (models, optimizers, EMA). */
  release(value: unknown, depth = 0): void {
    if (value === null || typeof value !== 'object' || depth > 4 || this.persistent.has(value)) return;
    if (value instanceof fm.Tensor) {
      value.dispose();
      return;
    }
    const disposer = (value as { dispose?: unknown }).dispose;
    if (typeof disposer === 'function') {
      disposer.call(value);
      return;
    }
    if (Array.isArray(value)) for (const v of value) this.release(v, depth + 1);
    else if (value instanceof Map) for (const v of value.values()) this.release(v, depth + 1);
    else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) this.release(v, depth + 1);
  }

  /** Releases the fixtures of the call that just ended. */
  endCall(): void {
    for (const o of this.owned) o.dispose();
    this.owned = [];
  }

  removeFiles(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
