/** Minibatch couplings of noise and data for training: exact OT, Sinkhorn, the Schrödinger bridge. */
export { otCoupling, type OTCouplingOptions, type OTCouplingResult, type CostFunction } from './ot-coupling';
