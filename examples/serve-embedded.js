'use strict';
// createSampler behind a plain node:http server: POST /sample with {"n": 16, "seed": 1}
// answers the samples as JSON. Run: node examples/serve-embedded.js <run folder> [port]
// (a run folder from `npx flowmatch train --out runs/checkerboard`).
const http = require('node:http');
const { loadRun, createSampler, RequestError, SamplerError } = require('flowmatch');

const [dir, port = '8080'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node examples/serve-embedded.js <run folder> [port]');
  process.exit(2);
}

const run = loadRun(dir);
const sampler = createSampler({ run, maxBatch: 1024, maxWaitMs: 2, maxQueue: 256 });
const STATUS = { ERR_QUEUE_FULL: 429, ERR_TIMEOUT: 504, ERR_CLOSED: 503 };

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/sample') return send(res, 404, { error: 'ERR_NOT_FOUND' });
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    body += chunk;
    if (body.length > 1 << 20) req.destroy();
  });
  req.on('end', async () => {
    // The request is cancelled if the client goes away first.
    const controller = new AbortController();
    res.on('close', () => res.writableFinished || controller.abort());
    try {
      const { n, seed, method, steps } = JSON.parse(body);
      const r = await sampler.sample({ n, seed, method, steps, signal: controller.signal, timeoutMs: 30_000 });
      send(res, 200, { shape: r.shape, samples: Array.from(r.samples), nfe: r.nfe, seed: r.seed });
    } catch (e) {
      if (e instanceof RequestError) send(res, 400, { error: e.code, field: e.field, message: e.message });
      else if (e instanceof SamplerError) send(res, STATUS[e.code] ?? 500, { error: e.code, message: e.message });
      else if (e instanceof SyntaxError) send(res, 400, { error: 'ERR_INVALID_REQUEST', message: e.message });
      else send(res, 500, { error: 'ERR_INTERNAL', message: e.message });
    }
  });
});

server.listen(Number(port), '127.0.0.1', () => console.log(`sampling ${dir} on http://127.0.0.1:${port}/sample`));
process.once('SIGTERM', () => {
  server.close();
  sampler.close().then(() => run.dispose());
});
