/**
 * A dataset file or folder that cannot be read. `code` says why: ERR_DATA_NOT_FOUND (missing
 * file or folder), ERR_DATA_FORMAT (not the expected format: wrong magic number, bad gzip,
 * impossible header, a gzip stream that inflates past what the header describes),
 * ERR_DATA_TRUNCATED (fewer bytes than the header promises), ERR_DATA_TOO_LARGE (more than
 * MAX_DATASET_BYTES, in the file or once inflated), and the file reader's ERR_NOT_A_REGULAR_FILE,
 * ERR_FILE_TOO_LARGE and ERR_READ.
 */
import { FlowmatchError } from '../errors';

export class DatasetError extends FlowmatchError {}
