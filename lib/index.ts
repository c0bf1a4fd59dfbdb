/** flowmatch: Flow Matching for Node.js over libtorch. */
export { Tensor, type Scalar, type TensorOrScalar, type NestedArray } from './tensor';
export * from './creation';
export * from './functional';
export { noGrad, enableGrad, isGradEnabled, grad, type GradOptions } from './autograd';
export { tidy, scope, keep, dispose } from './scope';
export { memory, setNumThreads, getNumThreads, manualSeed, cuda, buildInfo, type DeviceMemory, type BuildInfo } from './runtime';
export { DTYPES, type DType, type FloatDType } from './dtype';
export type { Device } from './device';
export * from './errors';
import { version as packageVersion } from '../package.json';
export const version: string = packageVersion;
export { encodePng, decodePng, writePng, PngError, type PngImage } from './io/png';
export * from './metrics';
export * from './plot';
