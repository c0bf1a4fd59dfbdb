/**
 * The one file that loads the native addon, and its type: one interface per native/*.cpp
 * file (lib/native/), composed here. Only the tensor core imports it (tensor, creation,
 * functional, the op table, autograd, kernels, runtime, scope, custom functions, io/, nn/,
 * optim/); everything else goes through Tensor and typed functions. The addon is
 * context-aware: each worker_thread loads its own copy of the state (its own tensor table).
 */
import { FlowmatchError, isErrorCode, makeNativeError } from './errors';
import { ADJOINT_KERNELS_EXPORTS, type AdjointKernelsBinding } from './native/adjoint-kernels';
import { AUTOGRAD_EXPORTS, type AutogradBinding } from './native/autograd';
import { CREATION_EXPORTS, type CreationBinding } from './native/creation';
import { CUSTOM_FUNCTION_EXPORTS, type CustomFunctionBinding } from './native/custom-function';
import { IO_EXPORTS, type IoBinding } from './native/io';
import { KERNELS_EXPORTS, type KernelsBinding } from './native/kernels';
import { MODULES_EXPORTS, type ModulesBinding } from './native/modules';
import { NN_OPS_EXPORTS, type NnOpsBinding } from './native/ops-nn';
import { SHAPE_EXPORTS, type ShapeBinding } from './native/ops-shape';
import { TENSOR_OPS_EXPORTS, type TensorOpsBinding } from './native/ops-math';
import { OPTIM_EXPORTS, type OptimBinding } from './native/optim';
import { OT_EXPORTS, type OtBinding } from './native/ot';
import { RUNTIME_EXPORTS, type RuntimeBinding } from './native/runtime';
import { TORCHSCRIPT_EXPORTS, type TorchScriptBinding } from './native/torchscript';

export type { Handle, ParameterGroupId } from './native/types';
export type { NativeForwardArgs } from './native/modules';

/** Every function the addon exports, with its exact parameter and result types. */
export interface NativeBinding
  extends RuntimeBinding,
    CreationBinding,
    TensorOpsBinding,
    ShapeBinding,
    NnOpsBinding,
    AutogradBinding,
    CustomFunctionBinding,
    KernelsBinding,
    AdjointKernelsBinding,
    ModulesBinding,
    OptimBinding,
    IoBinding,
    TorchScriptBinding,
    OtBinding {}

/** The names NativeBinding declares, for the test that compares them with the addon's exports. */
export const NATIVE_EXPORTS: readonly (keyof NativeBinding)[] = [
  ...RUNTIME_EXPORTS,
  ...CREATION_EXPORTS,
  ...TENSOR_OPS_EXPORTS,
  ...SHAPE_EXPORTS,
  ...NN_OPS_EXPORTS,
  ...AUTOGRAD_EXPORTS,
  ...CUSTOM_FUNCTION_EXPORTS,
  ...KERNELS_EXPORTS,
  ...ADJOINT_KERNELS_EXPORTS,
  ...MODULES_EXPORTS,
  ...OPTIM_EXPORTS,
  ...IO_EXPORTS,
  ...TORCHSCRIPT_EXPORTS,
  ...OT_EXPORTS,
];

// The one module that finds and loads the addon (shared with doctor and the build scripts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addonLoader = require('../scripts/addon.js') as { load(): { addon: NativeBinding } };

function loadAddon(): NativeBinding {
  let loaded: { addon: NativeBinding };
  try {
    loaded = addonLoader.load();
  } catch (e) {
    const { code, message } = e as { code?: string; message: string };
    throw new FlowmatchError(isErrorCode(code) ? code : 'ERR_ADDON_LOAD', message);
  }
  loaded.addon.setErrorFactory(makeNativeError);
  return loaded.addon;
}

/**
 * The addon, loaded on first use: importing flowmatch loads nothing, so `flowmatch --help`,
 * `--version` and `doctor` run where the addon cannot. Until then `native` is a stand-in
 * whose first property read loads the addon and replaces the binding itself (a live
 * export), so later calls go straight to the addon with no indirection.
 */
export let native: NativeBinding = new Proxy({} as NativeBinding, {
  get(_target, name) {
    native = loadAddon();
    return native[name as keyof NativeBinding];
  },
});
