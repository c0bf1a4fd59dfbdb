/** Minibatch couplings of noise and data for training: exact OT, Sinkhorn, the Schrödinger bridge. */
export { otCoupling, type OTCouplingOptions, type OTCouplingResult, type CostFunction } from './ot-coupling';
export { resolveCoupling, COUPLINGS, type Coupling, type CouplingName, type CouplingOptions, type CouplingSpec, type PairedBatch } from './coupling';
export { schrodingerBridge, type SchrodingerBridgeOptions } from './schrodinger-bridge';
