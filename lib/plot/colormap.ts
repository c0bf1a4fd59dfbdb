/** Colours for plots: a perceptually uniform map for densities and distinct hues for series. */

import { checkInt, fail } from '../validate';

export type Color = readonly [number, number, number];

// Ten evenly spaced samples of matplotlib's viridis (dark purple → yellow); linear
// interpolation between them stays within a few levels of the full table.
const VIRIDIS: Color[] = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37],
];

/** The viridis colour at t ∈ [0, 1] (clamped; NaN gives the lowest colour). */
export function viridis(t: number): Color {
  if (typeof t !== 'number') fail('a number in [0, 1]', 't', t);
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
}

// Well-separated hues for categorical series (blue, orange, green, red, purple, brown, pink, grey, olive, cyan).
const SERIES: Color[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

/** The colour of the i-th series, cycling. */
export function seriesColor(i: number): Color {
  checkInt(i, 'i', 0);
  return SERIES[i % SERIES.length];
}
