import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import { createSampler, loadRun } from '../../lib/index';
import { createServer } from '../../lib/serve/server';
import { CLI, trainSmallRun } from '../helpers/serve-run';

const runDir = trainSmallRun();

async function withServer(opts: { maxQueue?: number; maxBatch?: number; timeoutMs?: number; bodyLimit?: number }, fn: (base: string) => Promise<void>): Promise<void> {
  const run = loadRun(runDir);
  const sampler = createSampler({ run, maxQueue: opts.maxQueue ?? 16, maxBatch: opts.maxBatch ?? 1024, maxN: 4096 });
  const app = createServer(sampler, { timeoutMs: opts.timeoutMs ?? 60_000, bodyLimit: opts.bodyLimit ?? 1 << 20, likelihoodModel: run.model });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    await fn(address);
  } finally {
    await app.close();
    await sampler.close();
    run.dispose();
  }
}

const post = (base: string, route: string, body: unknown) => fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

test.serial('POST /v1/sample answers JSON, PNG and safetensors; /healthz, /readyz and log-prob answer', async (t) => {
  await withServer({}, async (base) => {
    const r = await post(base, '/v1/sample', { n: 3, seed: 5, steps: 10 });
    t.is(r.status, 200);
    const body = (await r.json()) as { shape: number[]; samples: number[]; nfe: number; seed: number; timings: { totalMs: number } };
    t.deepEqual(body.shape, [3, 2]);
    t.is(body.samples.length, 6);
    t.is(body.nfe, 10);
    t.is(body.seed, 5);
    t.true(body.timings.totalMs >= 0);
    const again = (await (await post(base, '/v1/sample', { n: 3, seed: 5, steps: 10 })).json()) as { samples: number[] };
    t.deepEqual(again.samples, body.samples);
    const png = await post(base, '/v1/sample', { n: 50, format: 'png', steps: 5 });
    t.is(png.headers.get('content-type'), 'image/png');
    t.deepEqual([...new Uint8Array(await png.arrayBuffer()).slice(1, 4)], [0x50, 0x4e, 0x47]);
    const st = await post(base, '/v1/sample', { n: 4, format: 'safetensors', steps: 5 });
    t.is(st.status, 200);
    t.true((await st.arrayBuffer()).byteLength > 4 * 2 * 4);
    t.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
    t.is((await fetch(`${base}/readyz`)).status, 200);
    const lp = (await (await post(base, '/v1/log-prob', { x: [0.1, 0.2, -0.3, 0.4], method: 'euler', steps: 10 })).json()) as { logProb: number[]; nfe: number };
    t.is(lp.logProb.length, 2);
    t.true(lp.logProb.every(Number.isFinite));
    t.is(lp.nfe, 10);
  });
});

test.serial('every 4xx and 5xx path answers a JSON error naming the field', async (t) => {
  await withServer({ maxQueue: 0, maxBatch: 64, timeoutMs: 30, bodyLimit: 4096 }, async (base) => {
    const expect = async (body: unknown, status: number, error: string, field?: string, route = '/v1/sample') => {
      const r = await post(base, route, body);
      const json = (await r.json()) as { error: string; message: string; field?: string };
      t.is(r.status, status, JSON.stringify(json));
      t.is(json.error, error);
      t.is(typeof json.message, 'string');
      if (field !== undefined) t.is(json.field, field);
      return r;
    };
    await expect({ n: 0 }, 400, 'ERR_INVALID_REQUEST', 'n');
    await expect({ n: 100000 }, 400, 'ERR_INVALID_REQUEST', 'n');
    await expect({ n: 2, method: 'leapfrog' }, 400, 'ERR_INVALID_REQUEST', 'method');
    await expect({ n: 2, labels: [0, 1] }, 400, 'ERR_INVALID_REQUEST', 'labels');
    await expect({ n: 2, lowRes: [0, 0] }, 400, 'ERR_INVALID_REQUEST', 'lowRes');
    await expect({ n: 2, method: 'dopri5', rtol: 1e400 }, 400, 'ERR_INVALID_REQUEST', 'rtol');
    await expect({ n: 2, steps: 5, extra: true }, 400, 'ERR_INVALID_REQUEST', 'extra');
    await expect({ steps: 5 }, 400, 'ERR_INVALID_REQUEST', 'n');
    await expect('{"n": 2,', 400, 'ERR_INVALID_REQUEST', 'body');
    await expect({ x: [1, 2, 3] }, 400, 'ERR_INVALID_REQUEST', 'x', '/v1/log-prob');
    await expect({ n: 2, lowRes: new Array(2000).fill(0.5) }, 413, 'ERR_TOO_LARGE');
    // Past its timeout a request is cancelled: 504.
    await expect({ n: 64, steps: 1000 }, 504, 'ERR_TIMEOUT');
    // With one request filling the rows and no queue, the next one is refused with Retry-After.
    const running = post(base, '/v1/sample', { n: 64, steps: 1000 });
    let refused: Response | undefined;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const r = await post(base, '/v1/sample', { n: 64, steps: 1 });
      if (r.status === 429) refused = r;
      else await r.arrayBuffer();
    }
    t.truthy(refused);
    t.is((await (refused as Response).json() as { error: string }).error, 'ERR_QUEUE_FULL');
    t.true(Number((refused as Response).headers.get('retry-after')) >= 1);
    t.is((await running).status, 504);
    const notFound = await fetch(`${base}/v2/nothing`);
    t.is(notFound.status, 404);
    t.is(((await notFound.json()) as { error: string }).error, 'ERR_NOT_FOUND');
  });
});

test.serial('/metrics parses as Prometheus text with requests by route and status, latency, queue depth and batch sizes', async (t) => {
  await withServer({}, async (base) => {
    await Promise.all(Array.from({ length: 4 }, (_, i) => post(base, '/v1/sample', { n: 8, seed: i, steps: 5 }).then((r) => r.arrayBuffer())));
    await (await post(base, '/v1/sample', { n: 0 })).arrayBuffer();
    const r = await fetch(`${base}/metrics`);
    t.regex(r.headers.get('content-type') ?? '', /text\/plain/);
    const text = await r.text();
    const samples = new Map<string, number>();
    const typed = new Set<string>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (meta) {
        if (meta[1] === 'TYPE') {
          t.true(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(meta[3]), line);
          typed.add(meta[2]);
        }
        continue;
      }
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?(?:[0-9.e+-]+|Inf|NaN))$/.exec(line);
      t.truthy(m, `not a Prometheus sample line: ${line}`);
      if (m) samples.set(m[1] + (m[2] ?? ''), Number(m[3]));
    }
    t.is(samples.get('flowmatch_http_requests_total{route="/v1/sample",status="200"}'), 4);
    t.is(samples.get('flowmatch_http_requests_total{route="/v1/sample",status="400"}'), 1);
    t.true(typed.has('flowmatch_http_request_duration_seconds'));
    t.true((samples.get('flowmatch_batch_requests_count') ?? 0) > 0);
    t.true((samples.get('flowmatch_batch_rows_sum') ?? 0) >= 4 * 8 * 5);
    t.is(samples.get('flowmatch_queue_depth'), 0);
    t.true(samples.has('flowmatch_nfe_count{route="/v1/sample"}'));
  });
});

function startServe(args: string[]): Promise<{ child: ChildProcess; base: string; lines: string[] }> {
  const child = spawn(process.execPath, ['--import=tsx', CLI, 'serve', '--run', runDir, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = / on (http:\/\/[^ ]+) /.exec(line);
      if (m) resolve({ child, base: m[1], lines });
    });
    child.stderr!.on('data', (d) => lines.push(String(d)));
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${lines.join('\n')}`)));
  });
}

test.serial('SIGTERM during load finishes every accepted request and exits 0', async (t) => {
  const { child, base, lines } = await startServe(['--max-batch', '256']);
  const accepted = Array.from({ length: 12 }, (_, i) => post(base, '/v1/sample', { n: 16, seed: i, steps: 200 }));
  // Every request is accepted (running or queued) before the signal.
  for (;;) {
    const s = (await (await fetch(`${base}/readyz`)).json()) as { running: number; queued: number };
    if (s.running + s.queued === 12) break;
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const answers = await Promise.all(accepted.map(async (r) => {
    const res = await r;
    return { status: res.status, body: (await res.json()) as { nfe: number } };
  }));
  t.deepEqual(answers.map((a) => a.status), new Array(12).fill(200));
  t.true(answers.every((a) => a.body.nfe === 200));
  t.is(await exited, 0, lines.join('\n'));
  t.true(lines.some((l) => /draining/.test(l)), lines.join('\n'));
  await t.throwsAsync(fetch(`${base}/healthz`));
});
