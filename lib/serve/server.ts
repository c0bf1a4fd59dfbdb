/**
 * The HTTP layer of `flowmatch serve` (Fastify): a JSON schema on every route, so malformed
 * bodies are refused before any handler runs; the sampler's own checks for the values a
 * schema cannot judge (labels against the model's classes, the low-resolution size); and
 * one error shape, {error: code, message, field?}, for every 4xx and 5xx.
 *
 *   POST /v1/sample    samples as JSON, PNG or safetensors, with NFE and timings
 *   POST /v1/log-prob  log-likelihood per sample (and bits/dim for images)
 *   GET  /healthz      alive;  GET /readyz  model loaded and queue below its limit
 *   GET  /metrics      Prometheus text;  GET /  a page that asks for samples and shows them
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { tensor } from '../creation';
import { tidy } from '../scope';
import { FlowmatchError, ArgumentError, type CodeOf, type ErrorCode } from '../errors';
import { encodePng } from '../io/png';
import { serializeSafetensors } from '../io/safetensors';
import { imageGrid } from '../plot/image-grid';
import { scatterPlot } from '../plot/scatter-plot';
import { likelihoodAsync } from '../likelihood/log-prob';
import { METHOD_NAMES, isAdaptive } from '../solvers/methods';
import type { Module } from '../nn/module';
import type { Sampler } from './sampler';
import { SamplerError, RequestError } from './sampler-error';
import { createMetrics } from './metrics';
import { indexPage } from './page';

export interface ServerOptions {
  /** Largest request body in bytes (→ 413). Default 16 MiB. */
  bodyLimit?: number;
  /** Default timeout of a request, in ms (→ 504, its work cancelled). Default 60000. */
  timeoutMs?: number;
  /** A model on this thread for /v1/log-prob (absent: the route answers 501). */
  likelihoodModel?: Module;
  /** Log-likelihood requests running at once beyond which 429. Default 8. */
  maxLikelihood?: number;
  /** Largest n of a log-prob request. Default 1024. */
  maxLikelihoodN?: number;
}

const sampleBody = {
  type: 'object',
  additionalProperties: false,
  required: ['n'],
  properties: {
    n: { type: 'integer', minimum: 1 },
    seed: { type: 'integer', minimum: 0 },
    method: { type: 'string', enum: METHOD_NAMES },
    steps: { type: 'integer', minimum: 1 },
    rtol: { type: 'number', exclusiveMinimum: 0 },
    atol: { type: 'number', exclusiveMinimum: 0 },
    labels: { type: 'array', items: { type: 'integer', minimum: 0 } },
    guidance: { type: 'number', minimum: 0 },
    lowRes: { type: 'array', items: { type: 'number' } },
    format: { type: 'string', enum: ['json', 'png', 'safetensors'] },
    timeoutMs: { type: 'number', exclusiveMinimum: 0 },
  },
} as const;

const logProbBody = {
  type: 'object',
  additionalProperties: false,
  required: ['x'],
  properties: {
    x: { type: 'array', minItems: 1, items: { type: 'number' } },
    labels: { type: 'array', items: { type: 'integer', minimum: 0 } },
    lowRes: { type: 'array', items: { type: 'number' } },
    method: { type: 'string', enum: METHOD_NAMES },
    steps: { type: 'integer', minimum: 1, maximum: 1000 },
    rtol: { type: 'number', minimum: 1e-7, maximum: 1 },
    atol: { type: 'number', minimum: 1e-9, maximum: 1 },
    divergence: { type: 'string', enum: ['exact', 'hutchinson'] },
    probes: { type: 'integer', minimum: 1, maximum: 64 },
    timeoutMs: { type: 'number', exclusiveMinimum: 0 },
  },
} as const;

const errorReply = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } } } as const;

type SampleBody = { n: number; seed?: number; method?: string; steps?: number; rtol?: number; atol?: number; labels?: number[]; guidance?: number; lowRes?: number[]; format?: 'json' | 'png' | 'safetensors'; timeoutMs?: number };
type LogProbBody = { x: number[]; labels?: number[]; lowRes?: number[]; method?: string; steps?: number; rtol?: number; atol?: number; divergence?: 'exact' | 'hutchinson'; probes?: number; timeoutMs?: number };

/** An answer other than 200 that a route decides on itself (a missing model: 501). */
export class HttpError extends FlowmatchError {
  declare readonly code: CodeOf<'HttpError'>;
  constructor(readonly status: number, code: CodeOf<'HttpError'>, message: string, readonly field?: string) {
    super(code, message);
  }
}

// 499 is nginx's status for a client that closed its request (what the metrics then count).
const SAMPLER_STATUS: Record<CodeOf<'SamplerError'>, number> = { ERR_QUEUE_FULL: 429, ERR_TIMEOUT: 504, ERR_CLOSED: 503, ERR_ABORTED: 499 };

/** An AbortSignal that fires when the client goes away before its answer was sent. */
function clientGone(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  request.raw.once('aborted', () => controller.abort());
  return controller.signal;
}

export function createServer(sampler: Sampler, opts: ServerOptions = {}): FastifyInstance {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const maxLikelihood = opts.maxLikelihood ?? 8;
  const maxLikelihoodN = opts.maxLikelihoodN ?? 1024;
  const app = Fastify({ bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024, logger: false, ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } } });
  const metrics = createMetrics(sampler);
  let likelihoodRunning = 0;

  // While closing, every answer closes its connection: a keep-alive client would otherwise
  // hold the server open after the last accepted request is done.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: Error & { validation?: { instancePath: string; params: Record<string, unknown>; message?: string }[]; statusCode?: number; code?: string }, _request, reply) => {
    let status = 500;
    let body: { error: ErrorCode; message: string; field?: string };
    if (error.validation !== undefined) {
      const v = error.validation[0];
      const missing = v.params.missingProperty ?? v.params.additionalProperty;
      const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const field = typeof missing === 'string' ? (path ? `${path}.${missing}` : missing) : path || 'body';
      status = 400;
      body = { error: 'ERR_INVALID_REQUEST', message: `${field}: ${v.message ?? 'invalid'}${v.params.additionalProperty ? ' (unknown field)' : ''}`, field };
    } else if (error instanceof RequestError) {
      status = 400;
      body = { error: error.code, message: error.message, field: error.field };
    } else if (error instanceof HttpError) {
      status = error.status;
      body = { error: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
    } else if (error instanceof SamplerError) {
      status = SAMPLER_STATUS[error.code];
      if (error.code === 'ERR_QUEUE_FULL') reply.header('Retry-After', String(Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000))));
      body = { error: error.code, message: error.message };
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 413;
      body = { error: 'ERR_TOO_LARGE', message: error.message };
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own refusals (a body that is not JSON, a wrong content type) keep their
      // status; the code is ours, so clients see one code for a request they must fix.
      status = error.statusCode;
      body = { error: 'ERR_INVALID_REQUEST', message: error.message, field: 'body' };
    } else if (error instanceof ArgumentError) {
      status = 400;
      body = { error: error.code, message: error.message };
    } else {
      body = { error: error instanceof FlowmatchError ? error.code : 'ERR_INTERNAL', message: error.message };
    }
    reply.status(status).type('application/json').send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: 'ERR_NOT_FOUND', message: `no route ${request.method} ${request.url}` });
  });

  const responses = { 400: errorReply, 413: errorReply, 429: errorReply, 500: errorReply, 503: errorReply, 504: errorReply };

  app.post<{ Body: SampleBody }>('/v1/sample', { schema: { body: sampleBody, response: responses } }, async (request, reply) => {
    const { format = 'json', timeoutMs: requestTimeout, ...fields } = request.body;
    const started = performance.now();
    const r = await sampler.sample({ ...fields, method: fields.method as never, signal: clientGone(request, reply), timeoutMs: Math.min(requestTimeout ?? timeoutMs, timeoutMs) });
    metrics.nfe.observe({ route: '/v1/sample' }, r.nfe);
    const timings = { queuedMs: r.queuedMs, solveMs: r.solveMs, totalMs: performance.now() - started };
    reply.header('X-NFE', String(r.nfe)).header('X-Seed', String(r.seed));
    if (format === 'json') return { shape: r.shape, samples: Array.from(r.samples), nfe: r.nfe, seed: r.seed, timings };
    const buffer = tidy(() => {
      const samples = tensor(r.samples, { shape: r.shape });
      if (format === 'safetensors') return serializeSafetensors({ samples }, { nfe: String(r.nfe), seed: String(r.seed) });
      if (r.shape.length === 2 && r.shape[1] === 2) return encodePng(scatterPlot(samples));
      return encodePng(imageGrid(samples));
    });
    return reply.type(format === 'png' ? 'image/png' : 'application/octet-stream').send(buffer);
  });

  app.post<{ Body: LogProbBody }>('/v1/log-prob', { schema: { body: logProbBody, response: responses } }, async (request, reply) => {
    const model = opts.likelihoodModel;
    if (model === undefined) throw new HttpError(501, 'ERR_UNSUPPORTED', 'this server has no likelihood model');
    const { info } = sampler;
    const body = request.body;
    const per = info.shape.reduce((a, b) => a * b, 1);
    if (body.x.length % per !== 0) throw new RequestError('x', `Expected a multiple of ${per} numbers (n × [${info.shape}]) for x but received ${body.x.length} numbers`);
    const n = body.x.length / per;
    if (n > maxLikelihoodN) throw new RequestError('x', `Expected at most ${maxLikelihoodN} samples for x but received ${n}`);
    body.x.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new RequestError(`x[${i}]`, `Expected a finite number for x[${i}] but received ${v}`);
    });
    const method = (body.method ?? 'dopri5') as (typeof METHOD_NAMES)[number];
    if (isAdaptive(method) ? body.steps !== undefined : body.rtol !== undefined || body.atol !== undefined) {
      throw new RequestError(isAdaptive(method) ? 'steps' : 'rtol', `method '${method}' takes ${isAdaptive(method) ? 'rtol / atol, not steps' : 'steps, not tolerances'}`);
    }
    if (info.numClasses === null && body.labels !== undefined) throw new RequestError('labels', 'Expected no labels (this model is unconditional)');
    if (info.numClasses !== null && (body.labels === undefined || body.labels.length !== n || body.labels.some((l) => l >= (info.numClasses as number)))) {
      throw new RequestError('labels', `Expected ${n} labels in [0, ${info.numClasses}) for labels`);
    }
    const lowPer = info.lowResShape === null ? 0 : info.lowResShape.reduce((a, b) => a * b, 1);
    if ((info.lowResShape === null) !== (body.lowRes === undefined) || (body.lowRes !== undefined && body.lowRes.length !== n * lowPer)) {
      throw new RequestError('lowRes', info.lowResShape === null ? 'Expected no lowRes (this model takes no conditioning image)' : `Expected ${n * lowPer} numbers (n × [${info.lowResShape}]) for lowRes`);
    }
    if (likelihoodRunning >= maxLikelihood) throw new SamplerError('ERR_QUEUE_FULL', `${maxLikelihood} log-prob requests are running`, 1000);
    likelihoodRunning++;
    const signals = [clientGone(request, reply), AbortSignal.timeout(Math.min(body.timeoutMs ?? timeoutMs, timeoutMs))];
    try {
      const started = performance.now();
      const out = await (async () => {
        const x1 = tensor(body.x, { shape: [n, ...info.shape] });
        const conditioning: { labels?: ReturnType<typeof tensor>; lowRes?: ReturnType<typeof tensor> } = {};
        if (body.labels !== undefined) conditioning.labels = tensor(body.labels, { dtype: 'int64' });
        if (body.lowRes !== undefined && info.lowResShape !== null) conditioning.lowRes = tensor(body.lowRes, { shape: [n, ...info.lowResShape] });
        try {
          const r = await likelihoodAsync(model, x1, {
            method,
            ...(body.steps !== undefined ? { steps: body.steps } : {}),
            ...(body.rtol !== undefined ? { rtol: body.rtol } : {}),
            ...(body.atol !== undefined ? { atol: body.atol } : {}),
            divergence: body.divergence ?? (per > 16 ? 'hutchinson' : 'exact'),
            probes: body.probes ?? 1,
            priorStd: info.priorStd,
            conditioning,
            signal: AbortSignal.any(signals),
          });
          const logProb = Array.from(r.logProb.data() as Float32Array);
          for (const t of [r.logProb, r.x0, r.divergenceIntegral]) t.dispose();
          return { logProb, nfe: r.nfe };
        } finally {
          x1.dispose();
          conditioning.labels?.dispose();
          conditioning.lowRes?.dispose();
        }
      })();
      metrics.nfe.observe({ route: '/v1/log-prob' }, out.nfe);
      // Images in [−1, 1] with 256 levels: bits/dim of the continuous density at the data, shifted by the 2/256 bin width (no dequantization noise).
      const bitsPerDim = per > 16 ? out.logProb.map((lp) => -(lp / per + Math.log(2 / 256)) / Math.LN2) : undefined;
      return { logProb: out.logProb, ...(bitsPerDim ? { bitsPerDim } : {}), nfe: out.nfe, timings: { totalMs: performance.now() - started } };
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_ABORTED') {
        throw signals[1].aborted ? new SamplerError('ERR_TIMEOUT', 'the request took longer than its timeout and was cancelled') : new SamplerError('ERR_ABORTED', 'the client went away');
      }
      throw e;
    } finally {
      likelihoodRunning--;
    }
  });

  app.get('/healthz', { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: { type: 'object', additionalProperties: true }, 503: { type: 'object', additionalProperties: true } } } }, async (_request, reply) => {
    const s = sampler.stats();
    const ready = s.queued < sampler.maxQueue;
    return reply.status(ready ? 200 : 503).send({ ready, ...s, maxQueue: sampler.maxQueue });
  });
  app.get('/metrics', { schema: {} }, async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.get('/', { schema: {} }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(indexPage(sampler.info)));
  return app;
}
