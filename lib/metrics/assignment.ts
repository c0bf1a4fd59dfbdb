/**
 * The linear assignment problem solved exactly: the permutation σ minimising Σ_i C[i, σ(i)]
 * for a square cost matrix. Shortest augmenting paths with dual potentials (the Hungarian
 * method in the O(n³) form of Jonker and Volgenant): each row is added in turn and joined to
 * the matching along a Dijkstra-like path over reduced costs C[i, j] − u[i] − v[j] ≥ 0.
 */
import { checkInt, fail } from '../validate';

/**
 * For a row-major n×n cost matrix, the column assigned to each row (an optimal permutation).
 * Costs must be finite; float64 keeps the reduced costs exact enough for ties to resolve.
 */
export function solveAssignment(cost: Float64Array, n: number): Int32Array {
  checkInt(n, 'n', 0);
  if (!(cost instanceof Float64Array) || cost.length !== n * n) fail(`a Float64Array of length ${n * n} (n·n)`, 'cost', cost);
  for (let k = 0; k < cost.length; k++) if (!Number.isFinite(cost[k])) fail('finite costs', `cost[${k}]`, cost[k]);
  // Index 0 is a virtual column: the free end of the augmenting path being grown.
  const rowPotential = new Float64Array(n + 1);
  const colPotential = new Float64Array(n + 1);
  const rowOfCol = new Int32Array(n + 1);
  const previousCol = new Int32Array(n + 1);
  const slack = new Float64Array(n + 1);
  const visited = new Uint8Array(n + 1);
  for (let row = 1; row <= n; row++) {
    rowOfCol[0] = row;
    let col = 0;
    slack.fill(Infinity);
    visited.fill(0);
    do {
      visited[col] = 1;
      const i = rowOfCol[col];
      let delta = Infinity;
      let next = 0;
      for (let j = 1; j <= n; j++) {
        if (visited[j]) continue;
        const reduced = cost[(i - 1) * n + (j - 1)] - rowPotential[i] - colPotential[j];
        if (reduced < slack[j]) {
          slack[j] = reduced;
          previousCol[j] = col;
        }
        if (slack[j] < delta) {
          delta = slack[j];
          next = j;
        }
      }
      // Shift the potentials so the cheapest unreached column becomes tight (reduced cost 0).
      for (let j = 0; j <= n; j++) {
        if (visited[j]) {
          rowPotential[rowOfCol[j]] += delta;
          colPotential[j] -= delta;
        } else {
          slack[j] -= delta;
        }
      }
      col = next;
    } while (rowOfCol[col] !== 0);
    // Flip the matching along the path back to the virtual column.
    do {
      const prev = previousCol[col];
      rowOfCol[col] = rowOfCol[prev];
      col = prev;
    } while (col !== 0);
  }
  const colOfRow = new Int32Array(n);
  for (let j = 1; j <= n; j++) colOfRow[rowOfCol[j] - 1] = j - 1;
  return colOfRow;
}
