/**
 * A pixel preset (`cifar-realnvp`, `mnist-mlp`) trained on a folder of your images: the
 * preset's architecture at the data's [C, S, S], a seeded held-out split, provenance.
 */
import { type FamilyTrainOptions, type ProgressEvent, Rng, type Runtime } from '@genmodels/runtime';
import { FLOW_PRESETS, type FlowConfig, flowImageShape, resolveConfig } from './config.js';
import { quantizePixels } from './data.js';
import { FlowError } from './errors.js';
import { Flow } from './flow.js';
import { FlowNetwork } from './network.js';
import { schedule } from './schedule.js';

/** How folder images become the flow's data, as `model.data.normalization` records it. */
export const IMAGE_NORMALIZATION = 'round to 8-bit pixels 0..255, dequantize (x + u) / 256';

/** The image side a multi-scale flow needs (divisible by 2^scales), or a FlowError naming valid sizes. */
function checkSize(cfg: FlowConfig, size: number, preset: string): void {
  if (!(Number.isInteger(size) && size >= 1 && size <= 4096))
    throw new FlowError(
      `imageSize (--image-size) must be an integer in 1..4096, got ${String(size)}`,
    );
  if (cfg.arch !== 'multiscale') return;
  const scales = cfg.scales ?? 0;
  const m = 2 ** scales;
  if (size % m === 0) return;
  const down = Math.max(m, size - (size % m));
  throw new FlowError(
    `imageSize (--image-size) ${size}: preset '${preset}' is a multi-scale flow with ${scales} squeeze${scales === 1 ? '' : 's'} and needs an image size divisible by ${m} (2^scales); use --image-size ${down} or ${down + m}`,
  );
}

/**
 * A pixel preset trained on the images of the folder `opts.data` (PNG / JPEG, read with
 * `readImageFolder`, subfolders included): resized and center-cropped to `imageSize`
 * (default the preset's: 32 for cifar-realnvp, 28 for mnist-mlp), gray (C = 1) when every
 * image is, else RGB, and rounded to 8-bit pixels; `config` (the preset's) with the image
 * shape set to the data's [C, S, S]. A seeded `valFraction` (default 0.1) is held out
 * (`splitRows`) for `evaluate()`; the rest is trained on, dequantized afresh every batch. An
 * epoch is one pass over the training images. `model.data` records the source, shape,
 * normalization and split.
 *
 * The flow is unconditional: `labels: 'folders'` is refused (images in subfolders are read
 * all the same, without classes).
 */
export async function trainOnImages(
  rt: Runtime,
  opts: FamilyTrainOptions & { data: string },
  config: FlowConfig,
): Promise<Flow> {
  const seed = opts.seed ?? 0;
  const shape = flowImageShape(config);
  if (!config.pixels || !shape)
    throw new FlowError(`preset '${opts.preset}' does not model images; it takes no folder`);
  if (/\.(csv|tsv|txt|npy)$/i.test(opts.data))
    throw new FlowError(
      `data '${opts.data}' is a file of points; preset '${opts.preset}' models images and reads a folder of PNG / JPEG images. Your own points train a 2-D preset: --preset moons --data points.csv`,
    );
  const size = opts.imageSize ?? shape[1];
  checkSize(config, size, opts.preset);
  if (opts.labels === 'folders')
    throw new FlowError(
      "labels 'folders' (--labels folders): the flow is unconditional, it models p(x) without classes; leave --labels out (or give 'none'): images in subfolders are read all the same",
    );
  if (opts.labels !== undefined && opts.labels !== 'none')
    throw new FlowError(`labels (${String(opts.labels)}) must be 'none' or left out for a flow`);
  const valFraction = opts.valFraction ?? 0.1;
  if (!(typeof valFraction === 'number' && valFraction > 0 && valFraction < 1))
    throw new FlowError(
      `valFraction (${String(valFraction)}) must be a number in (0, 1): evaluate() scores the model on the held-out images`,
    );
  // The preset at this size (its channels), so a size its parameter bound refuses fails before reading.
  const { dim: _dim, imageHeight: _h, imageWidth: _w, ...preset } = config;
  resolveConfig({ ...preset, imageSize: size });
  const { datasets } = await import('./with-datasets.js');
  const { readImageFolder, splitRows } = await datasets();
  const read = await readImageFolder(opts.data, { size, labels: 'none' });
  const pixels = quantizePixels(read.images);
  const [n, c] = pixels.shape;
  const { train, val } = splitRows(pixels, valFraction, seed);
  const rows = train.shape[0];
  if (rows === 0 || val.shape[0] === 0)
    throw new FlowError(
      `data '${opts.data}': valFraction ${valFraction} of ${n} image${n === 1 ? '' : 's'} leaves ${rows} to train on and ${val.shape[0]} held out; both need at least one image (give more images)`,
    );
  if (rows < config.batchSize)
    throw new FlowError(
      `data '${opts.data}': ${rows} training image${rows === 1 ? '' : 's'} (${n} read, ${val.shape[0]} held out) are fewer than one batch of ${config.batchSize} (batchSize of preset '${opts.preset}'); give at least ${Math.ceil(config.batchSize / (1 - valFraction)) + 1} images`,
    );
  // The preset's architecture and training settings, on images of the folder's shape.
  const cfg = resolveConfig({ ...preset, imageSize: size, imageChannels: c });
  const flow = new Flow(rt, new FlowNetwork(cfg, new Rng(seed)), opts.preset);
  const perEpoch = Math.ceil(rows / cfg.batchSize);
  const epochs = opts.epochs ?? FLOW_PRESETS[opts.preset]?.defaultEpochs ?? 1;
  const total = opts.steps ?? epochs * perEpoch;
  await flow.fit(train, {
    steps: total,
    seed,
    lr: schedule(cfg.lr, total),
    reference: val,
    signal: opts.signal,
    progressEvery: Math.min(10, total),
    onProgress: opts.onProgress && ((e: ProgressEvent) => opts.onProgress?.({ ...e, total })),
  });
  flow.data = {
    source: opts.data,
    shape: [...pixels.shape],
    normalization: IMAGE_NORMALIZATION,
    split: { valFraction, seed, trainRows: rows, valRows: val.shape[0] },
  };
  return flow;
}
