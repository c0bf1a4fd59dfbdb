import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createSampler, loadRun, decodePng } from '../../lib/index';
import { createServer } from '../../lib/serve/server';
import { trainSmallRun } from '../helpers/serve-run';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) console.log(`serve-page: ${CHROMIUM} is absent (apt-get install chromium): the page test does not run`);

(haveChromium ? test : test.skip)('GET / asks for samples when its button is pressed and draws them', async (t) => {
  const { chromium } = await import('playwright-core');
  const run = loadRun(trainSmallRun());
  const sampler = createSampler({ run });
  const app = createServer(sampler);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 640, height: 720 } });
    await page.goto(`${base}/`);
    t.is(await page.textContent('#shape'), '2');
    const blank = await page.locator('#view').screenshot();
    await page.fill('#n', '500');
    await page.click('#sample');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('done'), undefined, { timeout: 60_000 });
    t.regex((await page.textContent('#status')) ?? '', /^done: 500 samples, 20 evaluations/);
    const drawn = await page.locator('#view').screenshot();
    // The picture: many dark-blue points on white where the blank canvas had none.
    const count = (png: Buffer) => {
      const img = decodePng(png);
      let blue = 0;
      for (let i = 0; i < img.width * img.height; i++) {
        const [r, g, b] = [img.data[i * img.channels], img.data[i * img.channels + 1], img.data[i * img.channels + 2]];
        if (b > 120 && r < 100 && g < 140) blue++;
      }
      return blue;
    };
    t.is(count(blank), 0);
    t.true(count(drawn) > 500, `${count(drawn)} blue pixels`);
    const shot = path.join(os.tmpdir(), 'flowmatch-serve-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.log(`screenshot: ${shot}`);
  } finally {
    await browser.close();
    await app.close();
    await sampler.close();
    run.dispose();
  }
});
