/**
 * The VAE: a seeded encoder/decoder network plus everything around it (training with a
 * host-noise reparameterization, encode/decode/sample/interpolate, ELBO and IWAE
 * evaluation, save/load, ONNX export). Implements the runtime's `TrainedModel`.
 */
import {
  adam,
  type BatchSource,
  compileTrainStep,
  type DataProvenance,
  type FamilySamples,
  type FitResult,
  type InputSpecs,
  type ModelSource,
  noise,
  ops,
  Rng,
  type Runtime,
  Tensor,
  type TrainStep,
} from '@genmodels/runtime';
import { GenerativeModel, type ModelFitOptions } from '@genmodels/runtime/internal';
import {
  type ImageShape,
  klWeight,
  resolveConfig,
  type VaeConfig,
  vaeImageShape,
} from './config.js';
import {
  dequantize,
  expectedLayouts,
  logMeanExp,
  oneImage,
  repeatRows,
  shuffledBatches,
  toFlat,
} from './data.js';
import { VaeError } from './errors.js';
import { VAE_PARTS, type VaeFields, vaeOnnx, vaeStore } from './io.js';
import { elboTerms } from './likelihood.js';
import { VaeNetwork } from './network.js';

/** Options of `VAE.fit`; the seed draws the data order and the epsilon noise. */
export interface VaeFitOptions extends ModelFitOptions {
  /** Default: the config's batchSize (Tensor data only). */
  batchSize?: number;
  /**
   * What `evaluate()` scores against afterwards. 'preset': the data is MNIST, the preset's
   * own (`evaluate()` keeps scoring on the MNIST test set); held-out images (as for
   * `encode`): kept in memory and scored by `evaluate()`. Without it the data is taken as
   * your own and `evaluate()` asks for held-out `{ data }`.
   */
  reference?: 'preset' | Tensor;
}

/** Test-set figures in nats per image. */
export interface VaeMetrics extends Record<string, number> {
  neg_elbo: number;
  recon: number;
  kl: number;
}

/** Options of `VAE.evaluate`. */
export interface VaeEvalOptions {
  /** Seeds the z noise of the bound (default 0). */
  seed?: number;
  /** Also the importance-weighted bound with k samples per image (`iwae_k`). */
  k?: number;
  /** IWAE: on the first `iwaeLimit` images only. */
  iwaeLimit?: number;
  /** MNIST: score the first `limit` test images. */
  limit?: number;
  /** MNIST: where the IDX files are. */
  dataDir?: string;
  /**
   * Held-out images to score instead of MNIST: a Tensor of the model's image shape
   * ([N, C, H, W] or [N, C*H*W], in [0, 1] or uint8), or the path of a folder of PNG / JPEG
   * images (read with `readImageFolder` at the model's size and channels; square models).
   * The figures then include `bits_per_dim`.
   */
  data?: Tensor | string;
}

/** A variational autoencoder bound to a Runtime. */
export class VAE extends GenerativeModel<VaeConfig, VaeNetwork, TrainStep, VaeFields> {
  readonly family = 'vae';
  readonly parts: readonly string[] = VAE_PARTS;
  protected readonly store = vaeStore;
  /** Where the training images came from, when `vaeFamily.train` read them from a folder (stored). */
  data?: DataProvenance;
  #trainedOn: VaeFields['trainedOn'] = 'preset';
  /** Held-out images [N, C*H*W] given to `fit` as its `reference`; not stored. */
  #heldOut?: Tensor<'float32'>;
  /** The images of the last fit on your data [N, C*H*W] (a Tensor fit), for pictures; not stored. */
  #trainImages?: Tensor<'float32'>;

  /**
   * 'preset': trained on MNIST, the presets' own data (or not trained): `evaluate()` scores
   * on the MNIST test set. 'data': trained on images you gave: `evaluate()` needs held-out
   * images (`{ data }`, or the `reference` given to `fit`).
   */
  get trainedOn(): 'preset' | 'data' {
    return this.#trainedOn;
  }

  /**
   * A freshly initialized VAE from a preset name or a partial config, seeded.
   *
   * @example const vae = VAE.create(rt, 'mnist-mlp', { seed: 0 });
   */
  static create(
    rt: Runtime,
    config: string | Partial<VaeConfig> = 'mnist-mlp',
    opts: { seed?: number } = {},
  ): VAE {
    const cfg = resolveConfig(config);
    const preset = typeof config === 'string' ? config : 'custom';
    return new VAE(rt, new VaeNetwork(cfg, new Rng(opts.seed ?? 0)), preset);
  }

  /**
   * Load what `save` wrote: a directory (Node.js), a URL base (browsers) or the files
   * (`toFiles()`, `modelFilesFromList(input.files)`). CheckpointError / VaeError name the
   * file and the problem.
   */
  static async load(rt: Runtime, source: ModelSource): Promise<VAE> {
    const { net, preset, fields } = await vaeStore.load(source);
    const vae = new VAE(rt, net, preset);
    vae.#trainedOn = fields.trainedOn;
    vae.data = fields.data;
    return vae;
  }

  /** The image shape [C, H, W] the model reads and writes (see `vaeImageShape`). */
  get imageShape(): ImageShape {
    return vaeImageShape(this.config);
  }

  /** Values per image (D = C*H*W) and latent size (L). */
  get dims(): { d: number; latent: number } {
    const [c, h, w] = this.imageShape;
    return { d: c * h * w, latent: this.config.latent };
  }

  /**
   * Minimize recon + beta_t * KL with Adam, epsilon ~ N(0, I) from the seeded host Rng.
   * data: images [N, C*H*W] / [N, C, H, W] (gray: also [N, H, W]) in [0, 1] (or uint8), or
   * batches `{ x: [B, C*H*W] }` (or [B, C, H, W]); images of another shape than the
   * config's are a VaeError naming both shapes.
   *
   * The images are taken as your own (`trainedOn` becomes 'data') unless `reference` is
   * 'preset' (MNIST); `reference: heldOut` keeps held-out images for `evaluate()` and the
   * pictures. A fit that trains clears `data` (the provenance of an earlier folder).
   *
   * @example await vae.fit(train, { epochs: 10, reference: heldOut }); await vae.evaluate();
   */
  async fit(data: Tensor | BatchSource, opts: VaeFitOptions = {}): Promise<FitResult> {
    const cfg = this.config;
    const seed = opts.seed ?? 0;
    const ref = opts.reference;
    if (ref !== undefined && ref !== 'preset' && !(ref instanceof Tensor))
      throw new VaeError(
        `fit: reference must be 'preset' (MNIST) or held-out images ${expectedLayouts(this.imageShape)}, got ${typeof ref === 'string' ? `'${ref}'` : typeof ref}`,
      );
    const heldOut =
      ref instanceof Tensor ? toFlat(ref, this.imageShape, 'fit: reference') : undefined;
    const flat = data instanceof Tensor ? toFlat(data, this.imageShape) : undefined;
    const source: BatchSource = flat
      ? shuffledBatches(flat, opts.batchSize ?? cfg.batchSize, seed)
      : (data as BatchSource);
    const step = await this.trainSteps(seed);
    const before = step.step;
    const shape = this.imageShape;
    const d = this.dims.d;
    // Dequantization noise: its own stream, seeded by the fit's seed.
    const noiseRng = cfg.dequantize ? new Rng(seed).split(2)[1] : undefined;
    const withBeta = {
      length: (source as { length?: number }).length,
      async *[Symbol.asyncIterator]() {
        for await (const b of source as AsyncIterable<Record<string, Tensor>>) {
          if (!(b.x instanceof Tensor))
            throw new VaeError('fit: each batch must be { x: images [B, C*H*W] or [B, C, H, W] }');
          // Flat batches go in as they are; other layouts are checked against the shape.
          const x = b.x.rank === 2 && b.x.shape[1] === d ? b.x : toFlat(b.x, shape, 'batch x');
          yield {
            x: noiseRng ? dequantize(toFlat(x, shape, 'batch x'), noiseRng) : x,
            beta: Tensor.scalar(klWeight(cfg, step.step)),
          };
        }
      },
    };
    try {
      return await this.fitOn(step, withBeta, opts, cfg.lr);
    } finally {
      // Only a fit that trained marks the model (a refused one leaves it as it was).
      if (step.step > before) {
        this.#trainedOn = ref === 'preset' ? 'preset' : 'data';
        this.#heldOut = heldOut;
        this.#trainImages = ref === 'preset' ? undefined : flat;
        this.data = undefined;
      }
    }
  }

  /** The ELBO step: recon + beta * KL, epsilon a host-fed noise input. */
  protected compileSteps(seed: number): Promise<TrainStep> {
    const { d, latent } = this.dims;
    const net = this.net;
    return compileTrainStep(this.rt, {
      module: net,
      name: 'vae_train_step',
      inputs: {
        x: { dtype: 'float32', shape: ['batch', d] },
        beta: { dtype: 'float32', shape: [] },
      },
      loss: (_p, b) => {
        const eps = noise('vae.eps', 'normal', ['batch', latent]);
        const t = elboTerms(net, b.x, eps);
        const recon = ops.mean(t.recon);
        const kl = ops.mean(t.kl);
        return { loss: ops.add(recon, ops.mul(b.beta, kl)), metrics: { recon, kl } };
      },
      optimizer: adam(),
      seed,
    });
  }

  #xSpec(): InputSpecs {
    return { x: { dtype: 'float32', shape: ['batch', this.dims.d] } };
  }

  #zSpec(): InputSpecs {
    return { z: { dtype: 'float32', shape: ['batch', this.dims.latent] } };
  }

  /** q(z|x): x [N, C*H*W] (or [N, C, H, W]; gray: [N, H, W]) -> mu, logvar: [N, latent]. */
  async encode(x: Tensor): Promise<{ mu: Tensor; logvar: Tensor }> {
    const e = await this.compiled('encode', this.#xSpec(), (i, net) => ({ ...net.call(i.x) }));
    const out = await e.runHost({ x: toFlat(x, this.imageShape) });
    return { mu: out.mu, logvar: out.logvar };
  }

  /** Decoder means (sigmoid of the logits): z [N, latent] -> [N, C*H*W] in [0, 1]. */
  async decode(z: Tensor): Promise<Tensor> {
    const { latent } = this.dims;
    if (z.rank !== 2 || z.shape[1] !== latent)
      throw new VaeError(`decode: z must be [N, ${latent}], got [${z.shape.join(', ')}]`);
    const e = await this.compiled('decode', this.#zSpec(), (i, net) =>
      ops.sigmoid(net.decoder.call(i.z)),
    );
    return (await e.runHost({ z })).output;
  }

  /** decode(mu(x)): x [N, C*H*W] (or [N, C, H, W]) -> [N, C*H*W]. */
  async reconstruct(x: Tensor): Promise<Tensor> {
    return this.decode((await this.encode(x)).mu);
  }

  /** Decoded z ~ N(0, I) from Rng(seed): [n, C*H*W] in [0, 1]. */
  async sampleFlat(n: number, seed: number): Promise<Tensor> {
    this.checkCount(n);
    const z = new Tensor(
      'float32',
      [n, this.dims.latent],
      new Rng(seed).normal([n, this.dims.latent]),
    );
    return this.decode(z);
  }

  /** n samples as images [n, C, H, W] in [0, 1] (always `kind: 'images'`). */
  async sample(n: number, seed: number): Promise<Extract<FamilySamples, { kind: 'images' }>> {
    return {
      kind: 'images',
      images: (await this.sampleFlat(n, seed)).reshape([n, ...this.imageShape]),
      range: '01',
    };
  }

  /**
   * Decode `steps` points on the line between the posterior means of images a and b (each
   * [C*H*W] or [C, H, W]; gray: [H, W]): [steps, C*H*W].
   */
  async interpolate(a: Tensor, b: Tensor, steps: number): Promise<Tensor> {
    if (!Number.isInteger(steps) || steps < 2)
      throw new VaeError(`interpolate: steps (${steps}) must be an integer >= 2`);
    const { d, latent } = this.dims;
    const ab = new Float32Array(2 * d);
    ab.set(oneImage(a, this.imageShape, 'interpolate a').data, 0);
    ab.set(oneImage(b, this.imageShape, 'interpolate b').data, d);
    const mu = (await this.encode(new Tensor('float32', [2, d], ab))).mu.data as Float32Array;
    const z = new Float32Array(steps * latent);
    for (let s = 0; s < steps; s++) {
      const t = s / (steps - 1);
      for (let j = 0; j < latent; j++) z[s * latent + j] = (1 - t) * mu[j] + t * mu[latent + j];
    }
    return this.decode(new Tensor('float32', [steps, latent], z));
  }

  async #terms(x: Tensor<'float32'>, rng: Rng): Promise<Record<string, Tensor>> {
    const e = await this.compiled(
      'terms',
      { ...this.#xSpec(), eps: { dtype: 'float32', shape: ['batch', this.dims.latent] } },
      (i, net) => {
        const t = elboTerms(net, i.x, i.eps);
        return { recon: t.recon, kl: t.kl, logw: t.logw };
      },
    );
    const n = x.shape[0];
    const eps = new Tensor('float32', [n, this.dims.latent], rng.normal([n, this.dims.latent]));
    return e.runHost({ x, eps });
  }

  /**
   * Negative ELBO (one sample of z per image), its recon and KL terms, in nats per image
   * (summed over all C*H*W values of an image; x as for `encode`);
   * with `k`, also the importance-weighted bound -log mean_k w (`iwae_k`, <= neg_elbo in
   * expectation) on the first `iwaeLimit` images.
   */
  async evaluateOn(
    x: Tensor,
    opts: { seed?: number; k?: number; iwaeLimit?: number; batchSize?: number } = {},
  ): Promise<VaeMetrics> {
    const flat = toFlat(x, this.imageShape);
    const n = flat.shape[0];
    const rng = new Rng(opts.seed ?? 0);
    const bs = opts.batchSize ?? 1000;
    let recon = 0;
    let kl = 0;
    for (let i = 0; i < n; i += bs) {
      const rows = Array.from({ length: Math.min(bs, n - i) }, (_, j) => i + j);
      const t = await this.#terms(flat.takeRows(rows), rng);
      for (const v of t.recon.data as Float32Array) recon += v;
      for (const v of t.kl.data as Float32Array) kl += v;
    }
    const m: VaeMetrics = { neg_elbo: (recon + kl) / n, recon: recon / n, kl: kl / n };
    if (opts.k !== undefined) {
      const k = opts.k;
      if (!Number.isInteger(k) || k < 1)
        throw new VaeError(`evaluate: k (${k}) must be a positive integer`);
      const limit = Math.min(n, opts.iwaeLimit ?? n);
      const per = Math.max(1, Math.floor(2000 / k));
      let nll = 0;
      for (let i = 0; i < limit; i += per) {
        const rows = Array.from({ length: Math.min(per, limit - i) }, (_, j) => i + j);
        const logw = (await this.#terms(repeatRows(flat.takeRows(rows), k), rng)).logw
          .data as Float32Array;
        for (let r = 0; r < rows.length; r++) nll -= logMeanExp(logw.subarray(r * k, (r + 1) * k));
      }
      m.iwae_k = nll / limit;
      m.k = k;
    }
    return m;
  }

  /**
   * Figures in nats per image (see `evaluateOn`): on `data` (held-out images, a Tensor or a
   * folder path) with `bits_per_dim` = neg_elbo / (C*H*W * ln 2); else, for a VAE of the
   * CIFAR-10 preset, on the CIFAR-10 test set (first `limit` images), with `bits_per_dim`;
   * else, for a VAE trained on MNIST (or untrained), on the MNIST test set (needs
   * @genmodels/datasets). A `dequantize` VAE scores seeded dequantized images, and its
   * `bits_per_dim` is that of the 8-bit data (+ 8 bits: a bound comparable across models). A VAE trained on
   * images you gave scores the held-out `reference` given to `fit`, and without one throws a
   * VaeError saying what to pass (it has no test set of its own).
   *
   * @example await vae.evaluate({ data: 'held-out-folder' }) // { neg_elbo, recon, kl, bits_per_dim }
   */
  async evaluate(opts: VaeEvalOptions = {}): Promise<VaeMetrics> {
    let heldOut: Tensor | undefined;
    if (opts.data !== undefined) {
      if (typeof opts.data === 'string') {
        const { readImages } = await import('./with-datasets.js');
        heldOut = await readImages(opts.data, this.imageShape, 'evaluate: data');
      } else if (opts.data instanceof Tensor)
        heldOut = toFlat(opts.data, this.imageShape, 'evaluate: data');
      else
        throw new VaeError(
          `evaluate: data must be held-out images (a Tensor ${expectedLayouts(this.imageShape)}) or the path of a folder of images, got ${opts.data === null ? 'null' : typeof opts.data}`,
        );
    } else if (this.#trainedOn === 'data')
      heldOut = this.#heldOut ?? missingHeldOut(this.imageShape);
    if (heldOut === undefined) {
      const { cifarImages, mnistImages } = await import('./with-datasets.js');
      if (this.config.dataset === 'cifar10')
        heldOut = await cifarImages('test', { limit: opts.limit, dir: opts.dataDir });
      else {
        const test = await mnistImages('test', { limit: opts.limit, dir: opts.dataDir });
        return this.evaluateOn(test, opts);
      }
    }
    if (heldOut.shape[0] === 0)
      throw new VaeError('evaluate: data has no images; pass at least one held-out image');
    if (!this.config.dequantize) {
      const m = await this.evaluateOn(heldOut, opts);
      return { ...m, bits_per_dim: m.neg_elbo / (this.dims.d * Math.LN2) };
    }
    // Seeded dequantized images: the ELBO of the density on [0, 1] bounds the 8-bit data's
    // log-likelihood once the D * ln 256 of the 256 levels per pixel is added.
    const noise = new Rng(opts.seed ?? 0).split(2)[1];
    const x = dequantize(toFlat(heldOut, this.imageShape, 'evaluate: data'), noise);
    const m = await this.evaluateOn(x, opts);
    return { ...m, bits_per_dim: m.neg_elbo / (this.dims.d * Math.LN2) + 8 };
  }

  /** 'decoder' (z -> x in [0, 1]) or 'encoder' (x -> mu, logvar). */
  protected exportPart(part: string): Uint8Array {
    return vaeOnnx(this.net, part);
  }

  /**
   * reconstructions.png (16 images over their reconstructions) and interpolation.png (8
   * pairs), from `images` (as for `encode`, at least 16); else, for a VAE trained on images
   * you gave, from the held-out `reference` given to `fit` (or, without one, the images of
   * that fit), as many as there are up to 16 (never MNIST); else, for a gray 28x28 model
   * trained on MNIST, the MNIST test set. Otherwise nothing is written (returns []).
   * Gray and RGB (C = 1 or 3) images only: PNG grids of other channel counts are a VaeError.
   */
  async pictures(dir: string, seed = 0, opts: { images?: Tensor } = {}): Promise<string[]> {
    const { writePictures } = await import('./with-datasets.js');
    if (opts.images) return writePictures(this, dir, seed, { images: opts.images });
    if (this.#trainedOn === 'data') {
      const own = this.#heldOut ?? this.#trainImages;
      return own ? writePictures(this, dir, seed, { images: own, few: true }) : [];
    }
    return writePictures(this, dir, seed);
  }

  /** What save writes beside the config: nothing for a VAE trained on MNIST (the format before these fields). */
  protected override storedFields(): VaeFields | undefined {
    if (this.#trainedOn === 'preset' && !this.data) return undefined;
    const fields: VaeFields = { trainedOn: this.#trainedOn };
    if (this.data) fields.data = this.data;
    return fields;
  }
}

/** The refusal of `evaluate()` for a VAE trained on your images with nothing held out. */
function missingHeldOut(shape: ImageShape): never {
  throw new VaeError(
    `evaluate: this VAE was trained on images you gave (fit), not on MNIST, so it has no test set of its own to score against; pass held-out images it did not train on: evaluate({ data }) with a Tensor of images (${expectedLayouts(shape)}) or the path of a folder of images (genmodels eval vae --from DIR --data held-out-folder), or fit with { reference: heldOut }`,
  );
}
