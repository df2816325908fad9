/**
 * Make screenshot.png for the README: serve the built demo (run `vite build` first), train
 * a page in headless Chromium for a number of steps, and capture it.
 *
 *   pnpm --filter @genmodels/demo screenshot [page] [steps]   (default: gan 2500)
 */
import { fileURLToPath } from 'node:url';
import { launchChromium, serveStatic } from '@genmodels/testkit';

const [pageName = 'gan', steps = '2500'] = process.argv.slice(2);
const server = await serveStatic(fileURLToPath(new URL('../dist', import.meta.url)), {
  isolated: true,
});
const browser = await launchChromium({ webgpu: false });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(`${server.url}/${pageName}.html`);
  await page.waitForSelector('#status[data-state="idle"]', { timeout: 120_000 });
  await page.click('#train');
  await page.waitForFunction(
    (n) => Number(document.getElementById('status')?.dataset.step) >= n,
    Number(steps),
    { timeout: 600_000 },
  );
  await page.click('#stop');
  await page.waitForSelector('#status[data-state="idle"]', { timeout: 120_000 });
  const out = fileURLToPath(new URL('../screenshot.png', import.meta.url));
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
