import '../shared/style.css';
import { drawHeatmap, drawScatter } from '../shared/draw.js';
import { createPage, el } from '../shared/page.js';
import type { FlowView } from './views.js';

const density = el('canvas', { id: 'density', class: 'heat' });
const samples = el('canvas', { id: 'samples' });

const page = createPage<FlowView>({
  family: 'flow',
  title: 'Normalizing flow',
  blurb:
    'A stack of invertible affine coupling layers maps the data to a standard Gaussian. Because every layer is invertible with a cheap Jacobian, the model knows its exact density (left, brighter is likelier) and samples by running the map backwards (right).',
  createWorker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
  onView(v) {
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

page.panel('Density p(x): exact, from the change of variables', density);
page.panel('Samples (blue) over data (gray)', samples);
