/** Files shipped with the package under assets/ (dist/ and lib/ both sit one level below the root). */
import * as path from 'node:path';

export function assetPath(name: string): string {
  return path.resolve(__dirname, '..', 'assets', name);
}
