/** The pictures the commands write: a run's loss curve, and samples as a scatter plot (2-D) or an image grid. */
import { Tensor } from '../tensor';
import { tidy } from '../scope';
import { lineChart } from '../plot/line-chart';
import { scatterPlot } from '../plot/scatter-plot';
import { imageGrid } from '../plot/image-grid';
import type { PngImage } from '../io/png';
import { readMetrics } from '../train/metrics-log';

export function lossPicture(metricsFile: string, title: string): PngImage {
  const records = readMetrics(metricsFile);
  const xs = records.map((r) => r.step as number);
  const ys = records.map((r) => r.loss as number);
  return lineChart([{ name: 'CFM loss', xs, ys }], { title, xLabel: 'step', yLabel: 'loss', logY: ys.every((y) => y > 0) });
}

/** Points [n, 2] as a scatter plot; images [n, C, H, W] in [−1, 1] as a grid. */
export function samplesPicture(samples: Tensor, title: string): PngImage {
  if (samples.ndim === 2) return scatterPlot(samples, { title, radius: 1.2, alpha: 0.5 });
  return tidy(() => imageGrid(samples.clamp(-1, 1).to('cpu'), { nrow: Math.ceil(Math.sqrt(samples.shape[0])), valueRange: [-1, 1], scale: 2 }));
}
