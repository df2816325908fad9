import '../shared/style.css';
import { drawImages, drawScatter } from '../shared/draw.js';
import { createPage, el } from '../shared/page.js';
import type { GanView } from './views.js';

const samples = el('canvas', { id: 'samples' });
const images = el('canvas', { id: 'images', class: 'pixels', hidden: '' });
const history = el('div', { id: 'history', class: 'frames' });
let lastSnapshot = -1;

const page = createPage<GanView>({
  family: 'gan',
  title: 'Generative adversarial network',
  blurb:
    'A generator turns 2-D Gaussian noise into points; a discriminator learns to tell them from real points on a ring of eight narrow Gaussians, and the generator learns to fool it. Orange: generated samples (always from the same noise), gray: real data, circles: the eight modes. Drop a folder of images to train a DCGAN on them instead: its samples are drawn as a grid.',
  createWorker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
  onReady() {
    history.replaceChildren();
    lastSnapshot = -1;
  },
  onView(v) {
    if (v.kind === 'images') {
      samples.hidden = true;
      images.hidden = false;
      const [channels, h, w] = v.shape;
      drawImages(images, v.images, { n: v.n, h, w, channels, cols: 8, range: '-11' });
      return;
    }
    samples.hidden = false;
    images.hidden = true;
    const bounds = v.bounds;
    drawScatter(
      samples,
      [
        { points: v.data, color: 'rgba(120,120,120,0.35)', radius: 1 },
        { points: v.samples, color: 'rgba(230,110,20,0.55)', radius: 1.6 },
      ],
      bounds,
    );
    const ctx = samples.getContext('2d');
    if (ctx)
      for (let i = 0; i < v.centers.length; i += 2) {
        const x = ((v.centers[i] - bounds.xmin) / (bounds.xmax - bounds.xmin)) * samples.width;
        const y = ((bounds.ymax - v.centers[i + 1]) / (bounds.ymax - bounds.ymin)) * samples.height;
        ctx.strokeStyle = 'rgba(0,0,0,0.5)';
        ctx.beginPath();
        ctx.arc(x, y, 9, 0, 2 * Math.PI);
        ctx.stroke();
      }
    snapshot();
  },
});

/** Keep a small copy of the samples every few hundred steps: the training story at a glance. */
function snapshot() {
  const step = page.info?.step ?? 0;
  const every = 500;
  if (Math.floor(step / every) === lastSnapshot) return;
  lastSnapshot = Math.floor(step / every);
  const c = el('canvas', { width: '120', height: '120' });
  c.getContext('2d')?.drawImage(samples, 0, 0, 120, 120);
  history.append(el('figure', {}, c, el('figcaption', {}, `step ${step}`)));
  while (history.children.length > 12) history.firstElementChild?.remove();
}

page.panel('Samples over the data', samples, images);
page.panel('Every 500 steps', history);
