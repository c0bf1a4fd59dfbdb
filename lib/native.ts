/**
 * The one file that touches the native addon. Everything else goes through Tensor and
 * typed functions. The addon is context-aware: each worker_thread loads its own copy of
 * the state (its own tensor table).
 */
import { FlowmatchError, isErrorCode, makeNativeError } from './errors';
// The one module that finds and loads the addon (shared with doctor and the build scripts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addonLoader = require('../scripts/addon.js') as { load(): { addon: NativeBinding } };

/** Native functions take tensor handles (plain numbers) and return handles. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeBinding = Record<string, (...args: any[]) => any>;

function loadAddon(): NativeBinding {
  let loaded: { addon: NativeBinding };
  try {
    loaded = addonLoader.load();
  } catch (e) {
    const { code, message } = e as { code?: string; message: string };
    throw new FlowmatchError(isErrorCode(code) ? code : 'ERR_ADDON_LOAD', message);
  }
  loaded.addon.setErrorFactory(makeNativeError);
  return loaded.addon;
}

/**
 * The addon, loaded on first use: importing flowmatch loads nothing, so `flowmatch --help`,
 * `--version` and `doctor` run where the addon cannot. Until then `native` is a stand-in
 * whose first property read loads the addon and replaces the binding itself (a live
 * export), so later calls go straight to the addon with no indirection.
 */
export let native: NativeBinding = new Proxy({} as NativeBinding, {
  get(_target, name) {
    native = loadAddon();
    return native[name as string];
  },
});
