/** Pictures as PNG images ({width, height, channels, data}; save them with writePng). */
export { imageGrid, type ImageGridOptions } from './image-grid';
export { scatterPlot, type PointSet, type ScatterOptions } from './scatter-plot';
export { densityHeatmap, type HeatmapOptions } from './density-heatmap';
export { trajectoryPlot, type TrajectorySet, type TrajectoryOptions } from './trajectory-plot';
export { lineChart, type Series, type LineChartOptions } from './line-chart';
export { viridis, seriesColor, type Color } from './colormap';
export type { FigureOptions, RangeOption } from './figure';
