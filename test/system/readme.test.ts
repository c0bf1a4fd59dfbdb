import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

// Every JavaScript block in the README runs as written: each in a fresh folder whose
// node_modules/flowmatch is this package (its built dist/, through package.json's exports),
// as an ES module when it uses import, as CommonJS otherwise.

const ROOT = path.resolve(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

test('the README has JavaScript blocks to run', (t) => {
  t.true(blocks.length >= 2, `${blocks.length} blocks`);
});

blocks.forEach((code, i) => {
  const firstLine = code.split('\n').find((l) => l.trim() !== '') ?? '';
  test(`README block ${i + 1} runs as written: ${firstLine.slice(0, 60)}`, (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowmatch-readme-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'flowmatch'), 'dir');
      const file = path.join(dir, /^import /m.test(code) ? 'block.mjs' : 'block.cjs');
      fs.writeFileSync(file, code);
      const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 5 * 60_000 });
      t.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
      if (r.stdout.trim()) t.log(r.stdout.trim());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
