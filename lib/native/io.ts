/** native/io.cpp: raw tensor bytes for file formats. */
import { type Handle, exportNames } from './types';

export interface IoBinding {
  /** The elements of a contiguous CPU copy as libtorch stores them (no dtype conversion). */
  toBytes(t: Handle): ArrayBuffer;
}

export const IO_EXPORTS = exportNames<IoBinding>({ toBytes: true });
