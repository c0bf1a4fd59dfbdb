/**
 * The one file that touches the native addon. Everything else goes through Tensor and
 * typed functions. The addon is context-aware: each worker_thread loads its own copy of
 * the state (its own tensor table).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { FlowmatchError, makeNativeError } from './errors';

/** Native functions take tensor handles (plain numbers) and return handles. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeBinding = Record<string, (...args: any[]) => any>;

/** The package root: dist/ and lib/ both sit one level below it. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');

export function addonPath(): string {
  return process.env.FLOWMATCH_ADDON ?? path.join(PACKAGE_ROOT, 'build', 'Release', 'flowmatch.node');
}

function loadAddon(): NativeBinding {
  const file = addonPath();
  if (!fs.existsSync(file)) {
    throw new FlowmatchError(
      'ERR_ADDON_NOT_BUILT',
      `flowmatch: the native addon is not built (${file} is missing). Run \`npm run setup\`, then \`npx flowmatch doctor\` if it fails.`,
    );
  }
  try {
    const addon = createRequire(__filename)(file) as NativeBinding;
    addon.setErrorFactory(makeNativeError);
    return addon;
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0];
    throw new FlowmatchError(
      'ERR_ADDON_LOAD',
      `flowmatch: the native addon failed to load: ${reason}. ` +
        'The libtorch it was built against may have moved or changed: run `npm run setup` to rebuild, and `npx flowmatch doctor` to see what is found.',
    );
  }
}

export const native: NativeBinding = loadAddon();
