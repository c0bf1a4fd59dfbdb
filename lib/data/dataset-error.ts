/**
 * A dataset file or folder that cannot be read. `code` says why: ERR_NOT_FOUND (missing
 * file or folder), ERR_FORMAT (not the expected format: wrong magic number, bad gzip,
 * impossible header, a gzip stream that inflates past what the header describes, images of
 * different sizes), ERR_TRUNCATED (fewer bytes than the header promises), ERR_TOO_LARGE (over
 * the file reader's cap, or more than MAX_DATASET_BYTES once inflated), the file reader's
 * ERR_NOT_A_REGULAR_FILE and ERR_READ, and a PNG's ERR_CHECKSUM and ERR_UNSUPPORTED.
 */
import { type CodeOf, FlowmatchError } from '../errors';

export class DatasetError extends FlowmatchError {
  declare readonly code: CodeOf<'DatasetError'>;
  constructor(code: CodeOf<'DatasetError'>, message: string) {
    super(code, message);
  }
}
