import '../shared/style.css';
import { drawImages, drawScatter } from '../shared/draw.js';
import { createPage, el } from '../shared/page.js';
import type { DiffusionView } from './views.js';

type Denoising = Extract<DiffusionView, { kind: 'denoising' }>;

const main = el('canvas', { id: 'samples' });
const slider = el('input', { id: 'frame', type: 'range', min: '0', max: '40', value: '40' });
const frameLabel = el('span', { id: 'frame-label' });
const playButton = el('button', { id: 'play', type: 'button' }, '▶ Play');
const strip = el('div', { id: 'strip', class: 'frames' });
const images = el('canvas', { id: 'images', class: 'pixels' });
let view: Denoising | undefined;
let playing = 0;

function frame(v: Denoising, k: number): Float32Array {
  return v.frames.subarray(k * v.n * 2, (k + 1) * v.n * 2);
}

function label(v: Denoising, k: number): string {
  return k === 0 ? `x_T: pure noise` : `step ${k}/${v.steps} (t = ${v.timesteps[k - 1]})`;
}

function show(k: number): void {
  if (!view) return;
  slider.value = String(k);
  frameLabel.textContent = label(view, k);
  drawScatter(
    main,
    [
      { points: view.data, color: 'rgba(120,120,120,0.3)', radius: 1 },
      { points: frame(view, k), color: 'rgba(150,40,160,0.6)', radius: 1.5 },
    ],
    view.bounds,
  );
}

const page = createPage<DiffusionView>({
  family: 'diffusion',
  title: 'Denoising diffusion',
  blurb:
    'Training adds Gaussian noise to data points at a random level and teaches an MLP to predict that noise. Sampling starts from pure noise and removes a little of the predicted noise at every step: scrub or play the sampler below, from noise to two moons (or to your own points). Drop a folder of images to train a small U-Net on them instead: its samples are drawn as a grid.',
  createWorker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
  onView(v) {
    const isImages = v.kind === 'images';
    samplerPanel.hidden = isImages;
    stripPanel.hidden = isImages;
    imagesPanel.hidden = !isImages;
    if (v.kind === 'images') {
      // A U-Net on your images: a grid of samples (the sampler's steps are for 2-D points).
      view = undefined;
      const [channels, h, w] = v.shape;
      drawImages(images, v.images, { n: v.n, h, w, channels, cols: 8, range: '-11' });
      imagesCaption.textContent = v.sampler;
      return;
    }
    if (v.kind === 'data') {
      // Your points before the first training step: nothing sampled yet.
      view = undefined;
      cancelAnimationFrame(playing);
      playing = 0;
      frameLabel.textContent = 'your points; train to see the sampler';
      drawScatter(
        main,
        [{ points: v.data, color: 'rgba(120,120,120,0.5)', radius: 1.2 }],
        v.bounds,
      );
      strip.replaceChildren();
      return;
    }
    view = v;
    slider.max = String(v.steps);
    if (!playing) show(v.steps);
    const picks = [0, 0.2, 0.4, 0.6, 0.8, 1].map((f) => Math.round(f * v.steps));
    strip.replaceChildren(
      ...picks.map((k) => {
        const c = el('canvas');
        drawScatter(
          c,
          [{ points: frame(v, k), color: 'rgba(150,40,160,0.6)', radius: 1.2 }],
          v.bounds,
          {
            size: 150,
          },
        );
        return el('figure', {}, c, el('figcaption', {}, k === 0 ? 'noise' : `step ${k}`));
      }),
    );
  },
});

slider.addEventListener('input', () => show(Number(slider.value)));
playButton.addEventListener('click', () => {
  if (!view) return;
  cancelAnimationFrame(playing);
  let k = 0;
  let last = 0;
  const tick = (now: number) => {
    if (!view) return;
    if (now - last > 80) {
      show(k++);
      last = now;
    }
    playing = k <= view.steps ? requestAnimationFrame(tick) : 0;
  };
  playing = requestAnimationFrame(tick);
});

const imagesCaption = el('p', { class: 'note' });
const samplerPanel = page.panel(
  'The sampler, step by step',
  main,
  el('div', { class: 'controls' }, playButton, slider, frameLabel),
);
const stripPanel = page.panel('From noise to data', strip);
stripPanel.classList.add('wide');
const imagesPanel = page.panel('Samples of your images', images, imagesCaption);
imagesPanel.hidden = true;
