/** native/custom_function.cpp: autograd graph nodes whose backward is a JS function. */
import { type Handle, exportNames } from './types';

/** Runs the backward registered under `id` on the output gradients (handles it then owns); one handle or null per input. */
export type CustomFunctionDispatch = (id: number, gradOutputs: Handle[]) => (Handle | null)[];

export interface CustomFunctionBinding {
  setCustomFunctionDispatch(dispatch: CustomFunctionDispatch): void;
  /** New handles of `outputs` behind one graph node over `inputs`; id 0 when no graph was recorded. */
  customFunction(inputs: readonly Handle[], outputs: readonly Handle[]): [id: number, outputs: Handle[]];
  /** Ids whose node died or freed its saved state since the last call. */
  customFunctionsReleased(): number[];
  /** A second handle of the same tensor. */
  shareHandle(t: Handle): Handle;
}

export const CUSTOM_FUNCTION_EXPORTS = exportNames<CustomFunctionBinding>({
  setCustomFunctionDispatch: true, customFunction: true, customFunctionsReleased: true, shareHandle: true,
});
