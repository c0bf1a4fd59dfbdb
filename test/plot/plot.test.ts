import test from 'ava';
import { tensor, tidy, memory, type Tensor } from '../../lib/index';
import { decodePng, encodePng, type PngImage } from '../../lib/io/png';
import { imageGrid, scatterPlot, densityHeatmap, trajectoryPlot, lineChart, viridis, seriesColor } from '../../lib/plot';

const pixel = (img: PngImage, x: number, y: number) => [...img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x + 1) * img.channels)];
const isWhite = (p: number[]) => p.every((v) => v === 255);
/** Encodes and decodes, so every check below also holds for the written file. */
const viaPng = (img: PngImage): PngImage => decodePng(encodePng(img));
const countColor = (img: PngImage, color: readonly number[], tolerance = 0) => {
  let n = 0;
  for (let i = 0; i < img.width * img.height; i++) if (color.every((c, k) => Math.abs(img.data[i * img.channels + k] - c) <= tolerance)) n++;
  return n;
};

test('imageGrid tiles images with padding and maps [−1, 1] and [0, 1] to 0–255', (t) => {
  tidy(() => {
    // Three 2×3 grey images: all −1, all 0, all 1.
    const images = tensor(Float32Array.from({ length: 18 }, (_, i) => Math.floor(i / 6) - 1), { shape: [3, 1, 2, 3] });
    const grid = viaPng(imageGrid(images, { nrow: 2, padding: 1, padValue: 100 }));
    t.deepEqual([grid.width, grid.height, grid.channels], [2 * 4 + 1, 2 * 3 + 1, 1]);
    t.deepEqual(pixel(grid, 1, 1), [0]);
    t.deepEqual(pixel(grid, 5, 1), [128]);
    t.deepEqual(pixel(grid, 1, 4), [255]);
    t.deepEqual(pixel(grid, 0, 0), [100]);
    t.deepEqual(pixel(grid, 5, 4), [100]); // the empty fourth cell
    const rgb = tensor(Float32Array.from([1, 0, 0.5]), { shape: [1, 3, 1, 1] });
    t.throws(() => imageGrid(tensor(new Float32Array(4), { shape: [1, 2, 1, 2] })), { name: 'ArgumentError', message: /channels/ });
    const up = viaPng(imageGrid(tensor(new Float32Array(12).fill(0.5), { shape: [1, 3, 2, 2] }), { padding: 0, scale: 3 }));
    t.deepEqual([up.width, up.height, up.channels], [6, 6, 3]);
    t.deepEqual(pixel(viaPng(imageGrid(rgb, { padding: 0 })), 0, 0), [255, 0, 128]);
  });
});

test('a scatter of one point at the centre colours the centre pixel', (t) => {
  tidy(() => {
    const img = viaPng(scatterPlot(tensor([[0, 0]]), { width: 101, height: 101, range: [-1, 1], axes: false, alpha: 1, radius: 3 }));
    t.deepEqual([img.width, img.height], [101, 101]);
    t.deepEqual(pixel(img, 50, 50), [...seriesColor(0)]);
    t.true(isWhite(pixel(img, 50, 45)) && isWhite(pixel(img, 56, 50)));
    t.true(isWhite(pixel(img, 0, 0)));
    // (0.5, 0.5) is three quarters of the way across and a quarter of the way down.
    const off = viaPng(scatterPlot(tensor([[0.5, 0.5]]), { width: 101, height: 101, range: [-1, 1], axes: false, alpha: 1 }));
    t.deepEqual(pixel(off, 75, 25), [...seriesColor(0)]);
  });
});

test('scatterPlot with axes draws each set in its colour inside the frame', (t) => {
  tidy(() => {
    const img = viaPng(
      scatterPlot(
        [
          { points: tensor([[-0.5, -0.5]]), name: 'data', color: [255, 0, 0] },
          { points: tensor([[0.5, 0.5]]), name: 'model', color: [0, 0, 255] },
        ],
        { width: 300, height: 260, range: [-1, 1], alpha: 1, radius: 4 },
      ),
    );
    t.deepEqual([img.width, img.height, img.channels], [300, 260, 3]);
    // Disc of radius 4 plus the legend swatch of each colour.
    t.true(countColor(img, [255, 0, 0]) > 30);
    t.true(countColor(img, [0, 0, 255]) > 30);
    t.true(countColor(img, [0, 0, 0]) > 200, 'frame and labels are black');
  });
});

test('densityHeatmap colours cells by value with the viridis map, from a grid or from a function', (t) => {
  tidy(() => {
    const img = viaPng(densityHeatmap(tensor([[0, 1], [1, 0]]), { width: 300, height: 260 }));
    t.deepEqual([img.width, img.height], [300, 260]);
    const low = [...viridis(0)];
    const high = [...viridis(1)];
    // The plot area sits between the frame margins; sample well inside each quadrant.
    t.deepEqual(pixel(img, 90, 70), low);
    t.deepEqual(pixel(img, 190, 70), high);
    t.deepEqual(pixel(img, 90, 180), high);
    t.deepEqual(pixel(img, 190, 180), low);

    let calls = 0;
    const fromFn = viaPng(
      densityHeatmap((p: Tensor) => {
        calls++;
        t.deepEqual(p.shape, [16 * 16, 2]);
        return p.select(1, 0); // value = x: dark on the left, bright on the right
      }, { range: [[-1, 1], [-1, 1]], resolution: 16, width: 300, height: 260 }),
    );
    t.is(calls, 1);
    const left = pixel(fromFn, 70, 130);
    const right = pixel(fromFn, 200, 130);
    t.true(left[0] < 80 && left[2] > 80, `left ${left}`);
    t.true(right[1] > 150, `right ${right}`);
    t.throws(() => densityHeatmap((p: Tensor) => p), { name: 'ArgumentError', message: /options\.range/ });
  });
});

test('trajectoryPlot draws each path between its end points', (t) => {
  tidy(() => {
    // One particle moving in a straight line from (−1, 0) to (1, 0) in 5 steps.
    const path = tensor(Float32Array.from([-1, 0, -0.5, 0, 0, 0, 0.5, 0, 1, 0]), { shape: [5, 1, 2] });
    const color = [200, 0, 0] as const;
    const img = viaPng(trajectoryPlot([{ trajectories: path, name: 'OT', color }], { range: [-2, 2], width: 300, height: 300, alpha: 1 }));
    t.deepEqual([img.width, img.height], [300, 300]);
    // Plot area spans x 58…283, y 30…257: the line y = 0 runs between rows 143 and 144,
    // half covering each, so both turn clearly red.
    for (const y of [143, 144]) {
      const [r, g, b] = pixel(img, 170, y);
      t.true(r > g + 60 && r > b + 60, `row ${y}: ${[r, g, b]}`);
    }
    t.true(isWhite(pixel(img, 170, 100)) || pixel(img, 170, 100).every((v) => v > 220));
    t.throws(() => trajectoryPlot([{ trajectories: tensor([[1, 2]]), name: 'bad' }]), { name: 'ArgumentError', message: /3 dims/ });
  });
});

test('lineChart draws series on log axes, and dots where a series has few points', (t) => {
  const nfe = [2, 4, 8, 16, 32, 64];
  const img = viaPng(
    lineChart(
      [
        { name: 'OT', xs: nfe, ys: nfe.map((n) => 100 / n), color: [0, 0, 255] },
        { name: 'VP', xs: nfe, ys: nfe.map((n) => 300 / n), color: [255, 0, 0] },
      ],
      { logX: true, logY: true, xLabel: 'NFE', yLabel: 'FID', title: 'Quality vs NFE', width: 400, height: 300 },
    ),
  );
  t.deepEqual([img.width, img.height], [400, 300]);
  t.true(countColor(img, [0, 0, 255]) > 100);
  t.true(countColor(img, [255, 0, 0]) > 100);
  t.throws(() => lineChart([{ name: 'x', xs: [1, 2], ys: [1] }]), { name: 'ArgumentError', message: /equal length/ });
});

test('plots release every tensor they read', (t) => {
  const before = memory().cpu.tensors;
  tidy(() => {
    const pts = tensor([[0, 0], [1, 1]]);
    scatterPlot(pts);
    densityHeatmap((p: Tensor) => p.sum(1), { range: [[0, 1], [0, 1]], resolution: 8 });
    pts.dispose();
  });
  t.is(memory().cpu.tensors, before);
});
