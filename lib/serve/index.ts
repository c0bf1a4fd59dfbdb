/** Serving: a run folder → a model (loadRun) → a batched request queue (createSampler). */
export { loadRun, type LoadRunOptions, type LoadedRun } from './load-run';
export { createSampler, type Sampler, type SamplerOptions, type SamplerStats, type SampleResult, _runSamplerWorker } from './sampler';
export type { SampleRequest, ModelInfo } from './sample-request';
export type { SampleReply } from './local-engine';
export { SamplerError, RequestError } from './sampler-error';
