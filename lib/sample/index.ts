/** Sampling from a velocity model by integrating noise to data. */
export { sample, sampleAsync, type SampleOptions, type SampleResult } from './sample';
