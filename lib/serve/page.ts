/**
 * GET /: one self-contained page (no external scripts, styles or fonts) that asks the
 * server for samples and draws them: an image grid for image runs, a scatter of the points
 * for 2-D runs. The sample shape comes from the model, so the page needs no configuration.
 */
import type { ModelInfo } from './sample-request';

export function indexPage(info: ModelInfo): string {
  const config = JSON.stringify({ shape: info.shape, numClasses: info.numClasses, lowResShape: info.lowResShape });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flowmatch serve</title>
<style>body{font:15px system-ui,sans-serif;margin:2em;max-width:44em}canvas{border:1px solid #ccc;display:block;margin-top:1em;image-rendering:pixelated}button{font-size:1em;padding:.3em 1em}</style>
</head><body>
<h1>flowmatch serve</h1>
<p>Samples of shape [<span id="shape"></span>] from the loaded run.</p>
<label>n <input id="n" type="number" min="1" max="4096" value="64"></label>
<label>steps <input id="steps" type="number" min="1" max="1000" value="20"></label>
<button id="sample">Sample</button>
<p id="status" role="status"></p>
<canvas id="view" width="480" height="480"></canvas>
<script>
const config = ${config.replace(/</g, '\\u003c')};
document.getElementById('shape').textContent = config.shape.join(', ');
const status = document.getElementById('status');
const canvas = document.getElementById('view');
const ctx = canvas.getContext('2d');
function drawPoints(samples, n) {
  let lo = Infinity, hi = -Infinity;
  for (const v of samples) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const span = Math.max(hi - lo, 1e-6);
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#1f5fa8';
  for (let i = 0; i < n; i++) {
    const x = ((samples[2 * i] - lo) / span) * (canvas.width - 10) + 5;
    const y = canvas.height - (((samples[2 * i + 1] - lo) / span) * (canvas.height - 10) + 5);
    ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
  }
}
function drawImages(samples, n) {
  const [c, h, w] = config.shape;
  const cols = Math.ceil(Math.sqrt(n)), rows = Math.ceil(n / cols);
  const image = ctx.createImageData(cols * w, rows * h);
  for (let k = 0; k < n; k++) {
    const ox = (k % cols) * w, oy = Math.floor(k / cols) * h;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const p = ((oy + y) * cols * w + ox + x) * 4;
      for (let ch = 0; ch < 3; ch++) {
        const v = samples[k * c * h * w + (c === 3 ? ch : 0) * h * w + y * w + x];
        image.data[p + ch] = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
      }
      image.data[p + 3] = 255;
    }
  }
  canvas.width = cols * w; canvas.height = rows * h;
  canvas.style.width = Math.min(480, cols * w * 4) + 'px';
  ctx.putImageData(image, 0, 0);
}
document.getElementById('sample').addEventListener('click', async () => {
  const n = Number(document.getElementById('n').value);
  const steps = Number(document.getElementById('steps').value);
  const body = { n, steps, method: 'euler' };
  if (config.numClasses !== null) body.labels = Array.from({ length: n }, (_, i) => i % config.numClasses);
  if (config.lowResShape !== null) { status.textContent = 'this super-resolution run needs low-resolution inputs: use POST /v1/sample'; return; }
  status.textContent = 'sampling…';
  const started = performance.now();
  const res = await fetch('/v1/sample', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const out = await res.json();
  if (!res.ok) { status.textContent = 'error: ' + out.message; return; }
  if (config.shape.length === 1 && config.shape[0] === 2) drawPoints(out.samples, n); else drawImages(out.samples, n);
  status.textContent = 'done: ' + n + ' samples, ' + out.nfe + ' evaluations, ' + Math.round(performance.now() - started) + ' ms';
});
</script>
</body></html>
`;
}
