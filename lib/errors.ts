/**
 * flowmatch's error classes. Every error the library throws, from TypeScript validation
 * or from C++ (c10::Error included), is a FlowmatchError with a registered `code`
 * (lib/error-codes.ts lists them with their meanings). Each class's constructor takes only
 * the codes registered for it, so tsc rejects an unregistered code or a code in the wrong class.
 */
import { type CodeOf, type ErrorClassName, type ErrorCode, ERROR_CODES, isErrorCode } from './error-codes';

export { ERROR_CODES, isErrorCode, carries, carriersOf, type ErrorCode, type CodeOf, type ErrorClassName, type ErrorCodeInfo } from './error-codes';

export class FlowmatchError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

// ArgumentError's constructor also serves its subclasses UsageError and RequestError.
type ArgumentCode = CodeOf<'ArgumentError' | 'UsageError' | 'RequestError'>;

/** An argument had the wrong type or value (validated before any native call). */
export class ArgumentError extends FlowmatchError {
  declare readonly code: ArgumentCode;
  constructor(message: string, code: ArgumentCode = 'ERR_INVALID_ARGUMENT') {
    super(code, message);
  }
}

/** A tensor was used after dispose() or after its scope ended. */
export class DisposedError extends FlowmatchError {
  declare readonly code: CodeOf<'DisposedError'>;
  constructor(code: CodeOf<'DisposedError'>, message: string) {
    super(code, message);
  }
}

/** Shapes that do not fit together (broadcasting, matmul, reshape, indexing). */
export class ShapeError extends FlowmatchError {
  declare readonly code: CodeOf<'ShapeError'>;
  constructor(code: CodeOf<'ShapeError'>, message: string) {
    super(code, message);
  }
}

/** Wrong or unsupported dtype. */
export class DTypeError extends FlowmatchError {
  declare readonly code: CodeOf<'DTypeError'>;
  constructor(code: CodeOf<'DTypeError'>, message: string) {
    super(code, message);
  }
}

/** A device that is unknown or not available. */
export class DeviceError extends FlowmatchError {
  declare readonly code: CodeOf<'DeviceError'>;
  constructor(code: CodeOf<'DeviceError'>, message: string) {
    super(code, message);
  }
}

/** Any other failure inside libtorch or the addon. */
export class NativeError extends FlowmatchError {
  declare readonly code: CodeOf<'NativeError'>;
  constructor(code: CodeOf<'NativeError'>, message: string) {
    super(code, message);
  }
}

// The classes the addon's codes map to. Each factory takes the codes of its class; the
// registry names one class per code, so the code handed to a factory is always one of them.
type Factory = (code: ErrorCode, message: string) => FlowmatchError;
const NATIVE_CLASSES = {
  FlowmatchError: (code: ErrorCode, message: string) => new FlowmatchError(code, message),
  ArgumentError: (code: ArgumentCode, message: string) => new ArgumentError(message, code),
  DisposedError: (code: CodeOf<'DisposedError'>, message: string) => new DisposedError(code, message),
  ShapeError: (code: CodeOf<'ShapeError'>, message: string) => new ShapeError(code, message),
  DTypeError: (code: CodeOf<'DTypeError'>, message: string) => new DTypeError(code, message),
  DeviceError: (code: CodeOf<'DeviceError'>, message: string) => new DeviceError(code, message),
  NativeError: (code: CodeOf<'NativeError'>, message: string) => new NativeError(code, message),
} as Partial<Record<ErrorClassName, Factory>>;

/**
 * Called by the native addon to build the error it throws. The addon has already reduced the
 * exception to its final code, libtorch's messages included (native/errors.cpp,
 * describeCurrentException); here the code only picks its class from the registry.
 */
export function makeNativeError(code: string, message: string): FlowmatchError {
  const make = isErrorCode(code) ? NATIVE_CLASSES[ERROR_CODES[code].class] : undefined;
  // Unreachable while test/errors.test.ts passes (it checks every code in native/ against the registry).
  if (make === undefined) return new NativeError('ERR_INTERNAL', `${message} (the addon raised ${code}, which has no class here)`);
  return make(code as ErrorCode, message);
}
