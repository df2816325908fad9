import '../shared/style.css';
import { CLASS_COLORS, drawImages, drawScatter, fitBound, square } from '../shared/draw.js';
import { createPage, el } from '../shared/page.js';
import type { ImageShape, VaeView } from './views.js';

const samples = el('canvas', { id: 'samples', class: 'pixels' });
const latentMap = el('canvas', { id: 'latent-map', class: 'pixels' });
const latentScatter = el('canvas', { id: 'latent-scatter' });
const latentNote = el('p', { class: 'note', hidden: '' });
const interpolation = el('canvas', { id: 'interpolation', class: 'pixels wide' });
const pairButton = el('button', { id: 'pair', type: 'button' }, 'Another pair');

/** drawImages options for n images of `shape` in `cols` columns. */
const grid = (n: number, [channels, h, w]: ImageShape, cols: number) => ({
  n,
  h,
  w,
  channels,
  cols,
});

const page = createPage<VaeView>({
  family: 'vae',
  title: 'Variational autoencoder',
  blurb:
    'An encoder maps each image (MNIST digits, or your own images) to a Gaussian over a small latent space, a decoder maps latent points back to images; training maximizes the evidence lower bound. With a 2-D latent space the whole space fits on screen.',
  createWorker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
  onReady(info) {
    const own = info.data !== undefined;
    scatterTitle.textContent = own
      ? 'Where your images land (posterior means)'
      : 'Where test digits land (posterior means)';
    interpolationTitle.textContent = own
      ? 'Interpolation between two of your images'
      : 'Interpolation between two test digits';
    legend.hidden = own;
  },
  onView(v) {
    switch (v.kind) {
      case 'samples':
        drawImages(samples, v.images, grid(v.n, v.shape, 8));
        return;
      case 'latentMap':
        latentNote.hidden = true;
        latentMap.hidden = false;
        drawImages(latentMap, v.images, grid(v.grid * v.grid, v.shape, v.grid));
        return;
      case 'latentMapUnavailable':
        latentMap.hidden = true;
        latentNote.hidden = false;
        latentNote.textContent = v.reason;
        return;
      case 'latentScatter': {
        const labels = v.labels;
        drawScatter(
          latentScatter,
          [
            {
              points: v.mu,
              color: '#1f5fbf',
              colors: labels ? Array.from(labels, (l) => CLASS_COLORS[l % 10]) : undefined,
              radius: labels ? 1.5 : 2.5,
            },
          ],
          square(fitBound(v.mu, 3)),
        );
        return;
      }
      case 'interpolation':
        drawImages(interpolation, v.images, grid(v.steps, v.shape, v.steps));
        return;
    }
  },
});

const legend = el(
  'p',
  { class: 'legend' },
  ...CLASS_COLORS.map((c, i) => el('span', { style: `color:${c}` }, `● ${i} `)),
);
page.panel('Samples: decoded z ~ N(0, I)', samples);
page.panel('Latent map: the decoder over z in [-2.5, 2.5]²', latentMap, latentNote);
const scatterTitle = page
  .panel('Where test digits land (posterior means)', latentScatter, legend)
  .querySelector('h2') as HTMLElement;
const interpolationPanel = page.panel(
  'Interpolation between two test digits',
  interpolation,
  pairButton,
);
interpolationPanel.classList.add('wide');
const interpolationTitle = interpolationPanel.querySelector('h2') as HTMLElement;
pairButton.addEventListener('click', () => page.action('pair'));
