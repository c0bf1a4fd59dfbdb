/**
 * Every error code flowmatch uses, with what it means for the user and which error classes
 * carry it. A code names what went wrong (a file is truncated, a shape does not fit); the
 * error's class and message say where (a PngError or a DatasetError, the file, the call).
 * So one code can be carried by several classes, and a class carries several codes.
 *
 * `class` is the class the native addon's errors with this code become (lib/errors.ts
 * makeNativeError), or for a code only TypeScript throws, its main carrier; `alsoIn` lists
 * the other classes that carry it. The constructors of the error classes take only codes
 * registered for them (CodeOf), so tsc rejects an unregistered code or class.
 * test/errors.test.ts checks this table against the source (every code used is here, every
 * code here is used) and against README.md's table of codes.
 */

/** The FlowmatchError classes, by name (the classes live in their own modules). */
export type ErrorClassName =
  | 'FlowmatchError'
  | 'ArgumentError'
  | 'UsageError'
  | 'RequestError'
  | 'ShapeError'
  | 'DTypeError'
  | 'DeviceError'
  | 'DisposedError'
  | 'NativeError'
  | 'SolverError'
  | 'SamplerError'
  | 'HttpError'
  | 'FileReadError'
  | 'PngError'
  | 'SafetensorsError'
  | 'DatasetError'
  | 'CheckpointError'
  | 'MetricsError';

export interface ErrorCodeInfo {
  /** One line a user reads: what went wrong. */
  readonly meaning: string;
  readonly class: ErrorClassName;
  readonly alsoIn?: readonly ErrorClassName[];
}

export const ERROR_CODES = {
  // Arguments: what a call was given.
  ERR_INVALID_ARGUMENT: { meaning: 'An argument has the wrong type, or a value outside what the function accepts.', class: 'ArgumentError' },
  ERR_USAGE: { meaning: 'The flowmatch command was called wrongly: an unknown option, a missing value, a value out of range.', class: 'UsageError' },
  ERR_INVALID_REQUEST: { meaning: 'An HTTP request to the server is malformed, or one of its fields has a bad value.', class: 'RequestError' },
  ERR_SHAPE: { meaning: 'A tensor has a shape the operation does not accept, or shapes that must fit together do not.', class: 'ShapeError', alsoIn: ['ArgumentError'] },
  ERR_INDEX: { meaning: 'An index or dim is out of range for what it indexes.', class: 'ShapeError', alsoIn: ['ArgumentError'] },
  ERR_DTYPE: { meaning: 'A tensor or argument has the wrong dtype, or one flowmatch does not support.', class: 'DTypeError', alsoIn: ['ArgumentError'] },
  ERR_DEVICE: { meaning: 'A device is unknown or unavailable, or tensors that must share a device do not.', class: 'DeviceError', alsoIn: ['ArgumentError'] },
  ERR_CONDITIONING: { meaning: 'The conditioning (labels, lowRes) does not fit the model: missing, not taken, or asking for a class it lacks.', class: 'ArgumentError' },
  ERR_NON_FINITE: { meaning: 'Values that must be finite are NaN or infinite: an input, the output of f, a training loss.', class: 'NativeError', alsoIn: ['SolverError', 'FlowmatchError'] },
  ERR_STATE_MISMATCH: { meaning: 'Saved state does not fit what loads it: other parameter names or shapes, or a checkpoint of a run with other settings.', class: 'ShapeError', alsoIn: ['CheckpointError', 'FlowmatchError'] },

  // Lifetimes and resources.
  ERR_DISPOSED: { meaning: 'A tensor, model or module was used after it was disposed (by dispose() or the end of its scope).', class: 'DisposedError' },
  ERR_INVALID_HANDLE: { meaning: 'A value passed as a tensor is not a tensor of this thread (one from another worker thread, or a made-up handle).', class: 'DisposedError' },
  ERR_OUT_OF_MEMORY: { meaning: 'Memory ran out, or a tensor would exceed the CPU tensor limit (FLOWMATCH_MAX_TENSOR_BYTES).', class: 'NativeError', alsoIn: ['ArgumentError'] },
  ERR_TOO_LARGE: { meaning: "An input is larger than flowmatch's limit for it (a file, an image, a dataset, a tensor shape, a model, a request body); the message names the limit.", class: 'ArgumentError', alsoIn: ['FileReadError', 'PngError', 'DatasetError'] },
  ERR_TOO_MANY_TENSORS: { meaning: 'More tensors are alive than the tensor table holds (16,777,215): dispose the ones no longer needed.', class: 'NativeError' },

  // Files and their formats.
  ERR_NOT_FOUND: { meaning: 'A file, folder, run, checkpoint or HTTP route that was named does not exist.', class: 'FileReadError', alsoIn: ['DatasetError', 'FlowmatchError'] },
  ERR_NOT_A_REGULAR_FILE: { meaning: 'A path names a folder, FIFO, socket or device where a regular file is needed.', class: 'FileReadError', alsoIn: ['DatasetError'] },
  ERR_READ: { meaning: 'A file or folder exists but cannot be read (permissions, an I/O error).', class: 'FileReadError', alsoIn: ['DatasetError', 'FlowmatchError'] },
  ERR_WRITE: { meaning: 'A file or folder cannot be written (permissions, a full disk, a missing parent folder).', class: 'FlowmatchError', alsoIn: ['MetricsError'] },
  ERR_FORMAT: { meaning: 'The data is not valid in the format expected of it: not that kind of file, or a damaged header or body.', class: 'NativeError', alsoIn: ['PngError', 'SafetensorsError', 'DatasetError', 'CheckpointError', 'MetricsError', 'FlowmatchError'] },
  ERR_TRUNCATED: { meaning: 'The data ends before what its header describes: an incomplete download or copy.', class: 'PngError', alsoIn: ['DatasetError'] },
  ERR_CHECKSUM: { meaning: 'The data fails the checksum stored with it: some bytes changed after it was written.', class: 'PngError', alsoIn: ['DatasetError', 'CheckpointError'] },
  ERR_UNSUPPORTED: { meaning: 'Valid input that flowmatch does not support there; the message says what does.', class: 'NativeError', alsoIn: ['PngError', 'DatasetError', 'SolverError', 'FlowmatchError', 'HttpError'] },

  // Solves.
  ERR_MAX_STEPS: { meaning: 'A solve needs more steps than its max_num_steps (or the adjoint its stepBudget).', class: 'SolverError' },
  ERR_STEP_UNDERFLOW: { meaning: "An adaptive solve's step size underflowed: the problem may be stiff or f discontinuous there.", class: 'SolverError' },
  ERR_ABORTED: { meaning: 'The work was cancelled through its AbortSignal, or its client went away.', class: 'SolverError', alsoIn: ['SamplerError'] },

  // Serving.
  ERR_QUEUE_FULL: { meaning: "The sampler's queue is full: retry after the hint it gives (HTTP 429).", class: 'SamplerError' },
  ERR_TIMEOUT: { meaning: 'A request took longer than its timeout and was cancelled (HTTP 504).', class: 'SamplerError' },
  ERR_CLOSED: { meaning: 'The sampler is closed (draining) and takes no new requests (HTTP 503).', class: 'SamplerError' },

  // Custom autograd functions.
  ERR_BACKWARD: { meaning: "A custom autograd function's backward threw.", class: 'NativeError' },
  ERR_BACKWARD_TWICE: { meaning: "A custom function's backward ran after its saved state was freed (a second backward without retainGraph, or disposed outputs).", class: 'NativeError', alsoIn: ['ShapeError'] },

  // Failures that are not the caller's.
  ERR_NATIVE: { meaning: 'libtorch or the native addon failed for a reason not classified further; the message says why.', class: 'NativeError' },
  ERR_INTERNAL: { meaning: 'flowmatch reached a state it should never reach: a bug; please report it with the message.', class: 'NativeError', alsoIn: ['FlowmatchError'] },

  // Installation (scripts/addon.js finds these; lib/native.ts raises them).
  ERR_ADDON_NOT_FOUND: { meaning: 'No native addon for this platform: install the prebuilt package or build from source.', class: 'FlowmatchError' },
  ERR_ADDON_LOAD: { meaning: 'The native addon was found but failed to load (often: built against another libtorch).', class: 'FlowmatchError' },
  ERR_LIBTORCH_NOT_FOUND: { meaning: 'The libtorch the addon needs is not installed.', class: 'FlowmatchError' },
  ERR_LIBTORCH_MISMATCH: { meaning: 'The installed libtorch is not the version the addon was built for.', class: 'FlowmatchError' },
  ERR_LIBTORCH_LOAD: { meaning: "libtorch's libraries were found but failed to load.", class: 'FlowmatchError' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

type Carriers<K extends ErrorCode> =
  | (typeof ERROR_CODES)[K]['class']
  | ((typeof ERROR_CODES)[K] extends { readonly alsoIn: readonly (infer C)[] } ? C : never);

/** The codes registered for the classes `C` (a class's constructor takes these). */
export type CodeOf<C extends ErrorClassName> = { [K in ErrorCode]: [Extract<Carriers<K>, C>] extends [never] ? never : K }[ErrorCode];

/** Whether `value` is a registered code (for codes that arrive as strings: from a worker, from the addon loader). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** The classes that carry `code`, its `class` first. */
export function carriersOf(code: ErrorCode): readonly ErrorClassName[] {
  const info: ErrorCodeInfo = ERROR_CODES[code];
  return [info.class, ...(info.alsoIn ?? [])];
}

/** Whether `code` is registered for the class named `cls`. */
export function carries<C extends ErrorClassName>(cls: C, code: ErrorCode): code is CodeOf<C> {
  return carriersOf(code).includes(cls);
}
