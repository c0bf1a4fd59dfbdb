/**
 * Why a sampler refused or stopped a request. The code says what a server answers:
 * ERR_QUEUE_FULL → 429 (retry after `retryAfterMs`), ERR_TIMEOUT → 504, ERR_ABORTED → the
 * caller went away, ERR_CLOSED → 503 (the sampler is draining). A bad request is an
 * ArgumentError whose `field` names the request field that was wrong (→ 400).
 */
import { ArgumentError, type CodeOf, FlowmatchError } from '../errors';

export class SamplerError extends FlowmatchError {
  /** ERR_QUEUE_FULL: a hint for Retry-After. */
  readonly retryAfterMs?: number;
  declare readonly code: CodeOf<'SamplerError'>;
  constructor(code: CodeOf<'SamplerError'>, message: string, retryAfterMs?: number) {
    super(code, message);
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}

/** A request field with a bad value; the message says what was expected and what came. */
export class RequestError extends ArgumentError {
  readonly field: string;
  declare readonly code: CodeOf<'RequestError'>;
  constructor(field: string, message: string) {
    super(message, 'ERR_INVALID_REQUEST');
    this.field = field;
  }
}
