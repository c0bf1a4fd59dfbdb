/**
 * The server's Prometheus metrics (prom-client), in a registry of its own so that two
 * servers in one process, or the embedding application's own metrics, never collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Sampler } from './sampler';

export interface ServerMetrics {
  registry: Registry;
  requests: Counter<'route' | 'status'>;
  latency: Histogram<'route'>;
  nfe: Histogram<'route'>;
}

export function createMetrics(sampler: Sampler): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'flowmatch_process_' });
  const requests = new Counter({ name: 'flowmatch_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'] as const, registers: [registry] });
  const latency = new Histogram({
    name: 'flowmatch_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const nfe = new Histogram({ name: 'flowmatch_nfe', help: 'Function evaluations per answered request', labelNames: ['route'] as const, buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], registers: [registry] });
  const rounds = new Histogram({ name: 'flowmatch_batch_requests', help: 'Requests merged into one round of model evaluations', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [registry] });
  const rows = new Histogram({ name: 'flowmatch_batch_rows', help: 'Model rows in one round of evaluations', buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384], registers: [registry] });
  sampler.onRound = (r, n) => {
    rounds.observe(r);
    rows.observe(n);
  };
  new Gauge({ name: 'flowmatch_queue_depth', help: 'Sampling requests waiting in the queue', registers: [registry], collect() { this.set(sampler.stats().queued); } });
  new Gauge({ name: 'flowmatch_running_requests', help: 'Sampling requests being solved', registers: [registry], collect() { this.set(sampler.stats().running); } });
  return { registry, requests, latency, nfe };
}
