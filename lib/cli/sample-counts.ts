/**
 * How many samples or held-out items one command may ask for with --n. Whatever a command
 * draws or scores is held in memory at once: 8 MB of 2-D points at the toy cap, 157 MB of
 * 28×28 images at the image cap (as many as an FID over 50k samples needs).
 */
import { UsageError, type OptionSpec } from '../run/options';

export const MAX_TOY_SAMPLES = 1_000_000;
export const MAX_IMAGE_SAMPLES = 50_000;

/** The --n option of a command: an integer ≥ 1 up to the toy cap, the image cap checked once the run is known. */
export function countOption(help: string, defaults: string): OptionSpec {
  return { type: 'int', min: 1, max: MAX_TOY_SAMPLES, help: `${help} (at most ${MAX_TOY_SAMPLES} for toys, ${MAX_IMAGE_SAMPLES} for images)`, default: defaults };
}

/** Refuses an --n over the image cap for an image run (the option table already caps toys). */
export function checkCount(n: number, images: boolean): number {
  if (images && n > MAX_IMAGE_SAMPLES) throw new UsageError(`Expected an integer ≤ ${MAX_IMAGE_SAMPLES} for --n of an image run but received ${n}`);
  return n;
}
