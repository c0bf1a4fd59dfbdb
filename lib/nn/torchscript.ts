/**
 * TorchScript modules saved from Python (torch.jit.save of a traced or scripted module),
 * run by libtorch inside the addon: networks flowmatch uses without defining them, such as
 * an Inception network for FID. The module is loaded in eval mode.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { Tensor, asTensor } from '../tensor';
import { DisposedError } from '../errors';
import { checkDevice, type Device } from '../device';
import { checkBool, fail } from '../validate';

export interface ScriptForwardOptions {
  /** Record autograd history (default false: inference, as for feature extraction). */
  grad?: boolean;
}

export class ScriptModule {
  readonly file: string;
  readonly device: Device;
  private id: number;

  /** @internal Use loadTorchScript(). */
  constructor(file: string, device: Device, id: number) {
    this.file = file;
    this.device = device;
    this.id = id;
  }

  /** forward(x): the module's output, a Tensor (or an array of Tensors for a tuple or list result). */
  forward(x: Tensor, opts: ScriptForwardOptions = {}): Tensor | Tensor[] {
    if (this.id === 0) throw new DisposedError('ERR_DISPOSED', `Cannot run ${this.file}: the TorchScript module was disposed`);
    const out = native.scriptForward(this.id, asTensor(x, 'x')._h, checkBool(opts.grad ?? false, 'grad'));
    return Array.isArray(out) ? out.map((h: number) => new Tensor(h)) : new Tensor(out);
  }

  /** Releases the module. Idempotent. */
  dispose(): void {
    if (this.id === 0) return;
    native.scriptRelease(this.id);
    this.id = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Loads a TorchScript file (torch.jit.save) onto `device` (default 'cpu'). */
export function loadTorchScript(file: string, opts: { device?: Device } = {}): ScriptModule {
  if (typeof file !== 'string' || file === '') fail('a path to a TorchScript file', 'file', file);
  if (!fs.existsSync(file)) fail('an existing TorchScript file', 'file', file);
  const device = checkDevice(opts.device ?? 'cpu');
  return new ScriptModule(file, device, native.scriptLoad(file, device));
}
