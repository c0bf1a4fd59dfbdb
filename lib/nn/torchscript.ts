/**
 * TorchScript modules saved from Python (torch.jit.save of a traced or scripted module),
 * run by libtorch inside the addon: networks flowmatch uses without defining them, such as
 * an Inception network for FID. The module is loaded in eval mode.
 */
import { native } from '../native';
import { Tensor, asTensor } from '../tensor';
import { DisposedError } from '../errors';
import { checkDevice, type Device } from '../device';
import { checkBool, checkOptions, fail } from '../validate';
import { FileReadError, readRegularFile } from '../io/read-file';

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
    const out = native.scriptForward(this.id, asTensor(x, 'x')._h, checkBool(checkOptions(opts, 'opts').grad ?? false, 'grad'));
    return Array.isArray(out) ? out.map((h) => new Tensor(h)) : new Tensor(out);
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

// A cap for the whole archive, which is held in memory while libtorch loads it: room for the
// feature networks that metrics use (Inception-v3 for FID is ~100 MB, a CLIP ViT-L/14 image
// tower ~1.2 GB), while a mistaken path (a disk image, a dataset archive) is refused unread.
export const MAX_TORCHSCRIPT_BYTES = 2 ** 31;

/**
 * Loads a TorchScript file (torch.jit.save) onto `device` (default 'cpu'). The file is read
 * here (lib/io/read-file.ts: a regular file of at most MAX_TORCHSCRIPT_BYTES) and handed to
 * libtorch as bytes, so a FIFO or /dev/zero is refused instead of blocking or filling memory.
 */
export function loadTorchScript(file: string, opts: { device?: Device } = {}): ScriptModule {
  if (typeof file !== 'string' || file === '') fail('a path to a TorchScript file', 'file', file);
  const device = checkDevice(checkOptions(opts, 'opts').device ?? 'cpu');
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, MAX_TORCHSCRIPT_BYTES);
  } catch (e) {
    // A missing file is an argument mistake, as it has always been for this function.
    if (e instanceof FileReadError && e.code === 'ERR_NOT_FOUND') fail('an existing TorchScript file', 'file', file);
    throw e;
  }
  return new ScriptModule(file, device, native.scriptLoad(file, device, bytes));
}
