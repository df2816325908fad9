import '../shared/style.css';
import { CLASS_COLORS, drawImages, drawScatter, fitBound, square } from '../shared/draw.js';
import { createPage, el } from '../shared/page.js';
import type { VaeView } from './views.js';

const samples = el('canvas', { id: 'samples', class: 'pixels' });
const latentMap = el('canvas', { id: 'latent-map', class: 'pixels' });
const latentScatter = el('canvas', { id: 'latent-scatter' });
const latentNote = el('p', { class: 'note', hidden: '' });
const interpolation = el('canvas', { id: 'interpolation', class: 'pixels wide' });
const pairButton = el('button', { id: 'pair', type: 'button' }, 'Another pair');

const page = createPage<VaeView>({
  family: 'vae',
  title: 'Variational autoencoder',
  blurb:
    'An encoder maps each MNIST digit to a Gaussian over a small latent space, a decoder maps latent points back to images; training maximizes the evidence lower bound. With a 2-D latent space the whole space fits on screen.',
  createWorker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
  onView(v) {
    switch (v.kind) {
      case 'samples':
        drawImages(samples, v.images, { n: v.n, h: v.size, w: v.size, cols: 8 });
        return;
      case 'latentMap':
        latentNote.hidden = true;
        latentMap.hidden = false;
        drawImages(latentMap, v.images, {
          n: v.grid * v.grid,
          h: v.size,
          w: v.size,
          cols: v.grid,
        });
        return;
      case 'latentMapUnavailable':
        latentMap.hidden = true;
        latentNote.hidden = false;
        latentNote.textContent = v.reason;
        return;
      case 'latentScatter': {
        const colors = Array.from(v.labels, (l) => CLASS_COLORS[l % 10]);
        drawScatter(
          latentScatter,
          [{ points: v.mu, color: '#000', colors, radius: 1.5 }],
          square(fitBound(v.mu, 3)),
        );
        return;
      }
      case 'interpolation':
        drawImages(interpolation, v.images, { n: v.steps, h: v.size, w: v.size, cols: v.steps });
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
page.panel('Where test digits land (posterior means)', latentScatter, legend);
page
  .panel('Interpolation between two test digits', interpolation, pairButton)
  .classList.add('wide');
pairButton.addEventListener('click', () => page.action('pair'));
