/**
 * A dataset file or folder that cannot be read. `code` says why: ERR_DATA_NOT_FOUND (missing
 * file or folder), ERR_DATA_FORMAT (not the expected format: wrong magic number, bad gzip,
 * impossible header), ERR_DATA_TRUNCATED (fewer bytes than the header promises).
 */
import { FlowmatchError } from '../errors';

export class DatasetError extends FlowmatchError {}
