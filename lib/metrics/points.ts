/** Point clouds [N, D] read back as float64 rows, shared by the sample-based distances. */
import { Tensor, asTensor } from '../tensor';
import { fail } from '../validate';

export interface PointCloud {
  n: number;
  dim: number;
  /** Row-major coordinates. */
  coords: Float64Array;
}

export function readPoints(points: Tensor, name: string): PointCloud {
  asTensor(points, name);
  const shape = points.shape;
  if (shape.length !== 2 || shape[0] < 1) fail('a [N, D] tensor of points with N ≥ 1', `${name} shape`, shape, 'ERR_SHAPE');
  const t = points.double();
  const coords = t.data() as Float64Array;
  t.dispose();
  return { n: shape[0], dim: shape[1], coords };
}

/** The rows `indices` of `cloud`. */
export function selectPoints(cloud: PointCloud, indices: Int32Array): PointCloud {
  const coords = new Float64Array(indices.length * cloud.dim);
  indices.forEach((row, i) => coords.set(cloud.coords.subarray(row * cloud.dim, (row + 1) * cloud.dim), i * cloud.dim));
  return { n: indices.length, dim: cloud.dim, coords };
}
