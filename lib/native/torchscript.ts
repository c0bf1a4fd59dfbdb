/** native/torchscript.cpp: TorchScript modules loaded from bytes. */
import { type Bytes, type Handle, type ModelId, exportNames } from './types';
import type { Device } from '../device';

export interface TorchScriptBinding {
  /** The module in `bytes` (a torch.jit.save archive) on `device`, in eval mode; `name` is for messages. */
  scriptLoad(name: string, device: Device, bytes: Bytes): ModelId;
  /** One tensor in; a handle, or one per element of a tuple or list result. */
  scriptForward(id: ModelId, x: Handle, grad: boolean): Handle | Handle[];
  scriptRelease(id: ModelId): void;
}

export const TORCHSCRIPT_EXPORTS = exportNames<TorchScriptBinding>({ scriptLoad: true, scriptForward: true, scriptRelease: true });
