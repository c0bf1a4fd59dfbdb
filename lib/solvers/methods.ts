/** The solver names odeint accepts, as torchdiffeq spells them, and their tableaux. */
import { checkOneOf } from '../validate';
import { ADAPTIVE_HEUN, BOSH3, DOPRI5, DOPRI8, EULER, FEHLBERG2, HEUN2, HEUN3, MIDPOINT, RK4_38, TSIT5 } from './tableau';

export const FIXED_GRID_METHODS = { euler: EULER, midpoint: MIDPOINT, rk4: RK4_38, heun2: HEUN2, heun3: HEUN3 } as const;
export const ADAPTIVE_METHODS = { dopri5: DOPRI5, bosh3: BOSH3, adaptive_heun: ADAPTIVE_HEUN, fehlberg2: FEHLBERG2, dopri8: DOPRI8, tsit5: TSIT5 } as const;

export type FixedGridMethod = keyof typeof FIXED_GRID_METHODS;
export type AdaptiveMethod = keyof typeof ADAPTIVE_METHODS;
export type OdeMethod = FixedGridMethod | AdaptiveMethod;

export const METHOD_NAMES = [...Object.keys(ADAPTIVE_METHODS), ...Object.keys(FIXED_GRID_METHODS)] as OdeMethod[];

export function isAdaptive(method: OdeMethod): method is AdaptiveMethod {
  return method in ADAPTIVE_METHODS;
}

/**
 * The one check of a solver name, shared by odeint and by everything that picks a solver
 * for it (sample, likelihood), so an unknown name is the same ArgumentError wherever given.
 */
export function checkMethod(value: unknown, name = 'method'): OdeMethod {
  return checkOneOf(value, METHOD_NAMES, name);
}
