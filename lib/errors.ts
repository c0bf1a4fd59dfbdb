/**
 * flowmatch's error classes. Every error the library throws, from TypeScript validation
 * or from C++ (c10::Error included), is a FlowmatchError with a stable `code`.
 */
export class FlowmatchError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument had the wrong type or value (validated before any native call). */
export class ArgumentError extends FlowmatchError {
  constructor(message: string, code = 'ERR_INVALID_ARGUMENT') {
    super(code, message);
  }
}

/** A tensor was used after dispose() or after its scope ended. */
export class DisposedError extends FlowmatchError {}

/** Shapes that do not fit together (broadcasting, matmul, reshape, indexing). */
export class ShapeError extends FlowmatchError {}

/** Wrong or unsupported dtype. */
export class DTypeError extends FlowmatchError {}

/** A device that is unknown or not available. */
export class DeviceError extends FlowmatchError {}

/** Any other failure inside libtorch. */
export class NativeError extends FlowmatchError {}

const CLASS_BY_CODE: Record<string, new (code: string, message: string) => FlowmatchError> = {
  ERR_DISPOSED: DisposedError,
  ERR_INVALID_HANDLE: DisposedError,
  ERR_INVALID_SHAPE: ShapeError,
  ERR_INDEX: ShapeError,
  ERR_DTYPE: DTypeError,
  ERR_UNSUPPORTED_DTYPE: DTypeError,
  ERR_INVALID_DEVICE: DeviceError,
};

// Arguments only native code can judge: a model's conditioning contract, machine bounds.
const ARGUMENT_CODES = new Set(['ERR_MISSING_LABELS', 'ERR_UNEXPECTED_LABELS', 'ERR_UNEXPECTED_LOW_RES', 'ERR_NO_NULL_CLASS', 'ERR_TOO_MANY_THREADS', 'ERR_MODEL_TOO_LARGE']);

// libtorch reports shape, dtype and device problems all as c10::Error; the message tells
// which, so the class follows the message.
function classify(message: string): [new (code: string, message: string) => FlowmatchError, string] {
  // The CPU allocator reports failure as a plain c10::Error, not c10::OutOfMemoryError.
  if (/can't allocate memory|not enough memory/i.test(message)) return [NativeError, 'ERR_OUT_OF_MEMORY'];
  if (/size of tensor|shape|must match the size|cannot be multiplied|dimension|Dimension out of range|out of bounds|invalid for input of size|expanded size|number of dims|must be a \d+D tensor/i.test(message)) return [ShapeError, 'ERR_SHAPE'];
  if (/expected scalar type|dtype|Float but found|Long but found|result type|can't be cast|not implemented for '/i.test(message)) return [DTypeError, 'ERR_DTYPE'];
  if (/device|cuda|CUDA/.test(message)) return [DeviceError, 'ERR_DEVICE'];
  return [NativeError, 'ERR_TORCH'];
}

/** Called by the native addon to build the error it throws (see native/errors.cpp). */
export function makeNativeError(code: string, message: string): FlowmatchError {
  if (code === 'ERR_INVALID_ARGUMENT' || ARGUMENT_CODES.has(code)) return new ArgumentError(message, code);
  if (code === 'ERR_TORCH') {
    const [Cls, refined] = classify(message);
    return new Cls(refined, message);
  }
  const Cls = CLASS_BY_CODE[code] ?? NativeError;
  return new Cls(code, message);
}
