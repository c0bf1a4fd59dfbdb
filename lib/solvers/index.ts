/** ODE solvers with torchdiffeq's interface and step-for-step behaviour. */
export { odeint, odeintAsync, type OdeintOptions, type SolverOptions, type OdeSolution } from './odeint';
export { odeintAdjoint, type OdeintAdjointOptions, type AdjointSolverOptions, type OdeAdjointSolution, type AdjointBackwardStats } from './adjoint';
export type { OdeFunction } from './evaluator';
export type { OdeMethod, AdaptiveMethod, FixedGridMethod } from './methods';
export type { ButcherTableau } from './tableau';
export type { UserNorm } from './scaled-norm';
export type { TimeDType } from './time';
export { SolverError } from './solver-error';
export { DEFAULT_MAX_NUM_STEPS } from './step-limit';
