import '../shared/style.css';
import { drawHeatmap, drawImages, drawScatter } from '../shared/draw.js';
import { createPage, el } from '../shared/page.js';
import type { FlowView } from './views.js';

const density = el('canvas', { id: 'density', class: 'heat' });
const samples = el('canvas', { id: 'samples' });
const images = el('canvas', { id: 'images', class: 'pixels', hidden: '' });

/** Points (density and samples) or images (a grid of samples): one set of panels shows. */
function showImages(on: boolean) {
  densityPanel.hidden = on;
  samples.hidden = on;
  images.hidden = !on;
}

const page = createPage<FlowView>({
  family: 'flow',
  title: 'Normalizing flow',
  blurb:
    'A stack of invertible affine coupling layers maps the data to a standard Gaussian. Because every layer is invertible with a cheap Jacobian, the model knows its exact density (left, brighter is likelier) and samples by running the map backwards (right). Drop a folder of images to train a multi-scale RealNVP on them instead: its samples are drawn as a grid.',
  createWorker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
  onView(v) {
    if (v.kind === 'images') {
      showImages(true);
      const [channels, h, w] = v.shape;
      drawImages(images, v.images, { n: v.n, h, w, channels, cols: 8 });
      return;
    }
    showImages(false);
    if (v.kind === 'density') drawHeatmap(density, v.logp, v.res);
    else
      drawScatter(
        samples,
        [
          { points: v.data, color: 'rgba(120,120,120,0.35)', radius: 1 },
          { points: v.samples, color: 'rgba(31,95,191,0.6)', radius: 1.5 },
        ],
        v.bounds,
      );
  },
});

const densityPanel = page.panel('Density p(x): exact, from the change of variables', density);
page.panel('Samples (blue) over data (gray); samples of your images', samples, images);
