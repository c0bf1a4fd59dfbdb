/**
 * The vocabulary of the native binding's types (lib/native/*.ts, one file per native/*.cpp
 * file, composed in lib/native.ts).
 */

/**
 * A tensor handle: slot index | generation << 24 in this thread's native tensor table
 * (native/tensor_table.h). 0 is never a live handle; Tensor sets its handle to 0 on dispose.
 */
export type Handle = number;
/** A dtype code: the index of the dtype in lib/dtype.ts's DTYPES (native/args.cpp has the same order). */
export type DTypeCode = number;
/** A JS number or boolean passed where libtorch takes a Scalar (integers stay integers). */
export type ScalarValue = number | boolean;
/** A model id (native/modules.cpp) or a TorchScript module id (native/torchscript.cpp). */
export type ModelId = number;
/** An optimizer's parameters and per-parameter state lists, registered once (native/optim.cpp). */
export type ParameterGroupId = number;
/** Bytes handed to native code as they are. */
export type Bytes = ArrayBufferView;

/**
 * The export names of a binding, given as an object with one key per member: the compiler
 * rejects a missing name and an extra one, so the list cannot drift from the interface.
 */
export function exportNames<B>(names: Record<keyof B & string, true>): (keyof B & string)[] {
  return Object.keys(names) as (keyof B & string)[];
}
