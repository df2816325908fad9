/**
 * A model family's directory format in one place: what it stores beside the weights
 * (family, preset, config), how it writes it (files as bytes, or a directory) and how it
 * reads it back (with the family's error and config validation, and EMA weights under
 * `ema.` split off). Each model package makes one and uses it for save / toFiles / load.
 */

import { writeFileAtomic } from '#platform';
import type { Module } from '../nn/module.js';
import { splitPrefixed, withPrefix } from '../optim/ema.js';
import type { Tensor } from '../tensor.js';
import {
  describeModelSource,
  encodeModelFiles,
  type ModelDirFiles,
  type ModelSource,
  readModelDir,
  writeModelDir,
} from './model-dir.js';

/** Options of {@link FamilyStore}. */
export interface FamilyStoreOptions<C, N extends Module, F extends object = NoFields> {
  /** The family name in the checkpoint (another family's checkpoint is a CheckpointError). */
  family: string;
  /** The model's name in messages ('VAE', 'flow', ...). */
  label: string;
  /** The family's error. */
  fail: (message: string) => Error;
  /** Validate and complete a stored config (the family's resolveConfig). */
  resolve: (config: Partial<C>) => C;
  /** A fresh network for a config (the stored weights are loaded over it). */
  build: (config: C) => N;
  /** The family keeps EMA weights, stored under `ema.` beside the state dict (GAN, diffusion). */
  ema?: boolean;
  /** The command named when no checkpoint is found (default `genmodels train <family>`). */
  trainHint?: string;
  /**
   * What the model stores beyond its preset and config (the transformer: which kind of
   * model, its vocabulary), written after `config`. On read this checks and completes
   * them (before the config is resolved) and throws the family's error naming `where`.
   */
  fields?: (stored: Readonly<Record<string, unknown>>, where: string) => F;
  /**
   * The number of parameter values the network of a config has (exactly what `build` would
   * allocate). A stored config that describes more values than the checkpoint holds is
   * refused before the network is built, so a crafted config.json cannot exhaust memory.
   */
  parameters?: (config: C) => number;
}

/** The stored fields of a family that stores only its preset and config. */
export type NoFields = Record<never, never>;

/** What {@link readModelDir} gives back, before the family checks it. */
export interface ReadModel {
  stored: Readonly<Record<string, unknown>> | null;
  stateDict: Record<string, Tensor>;
}

/** What {@link FamilyStore.read} returns. */
export interface StoredModel<C, F extends object = NoFields> {
  cfg: C;
  preset: string;
  /** The family's own stored fields (`FamilyStoreOptions.fields`). */
  fields: F;
  /** The module's own tensors. */
  stateDict: Record<string, Tensor>;
  /** EMA weights (families with `ema`), when the checkpoint has them. */
  ema?: Record<string, Tensor>;
}

/** What {@link FamilyStore.load} returns: the network with its weights, and what was stored. */
export interface LoadedModel<N, C, F extends object = NoFields> {
  net: N;
  cfg: C;
  preset: string;
  fields: F;
  /** EMA weights, when the checkpoint has them. */
  ema?: Record<string, Tensor>;
}

/**
 * @example
 * const store = new FamilyStore({ family: 'vae', label: 'VAE', fail, resolve: resolveConfig, build: (c) => new VaeNetwork(c, new Rng(0)) });
 * await store.write('out/vae', net, net.cfg, 'mnist-mlp');
 * const { cfg, preset, stateDict } = await store.read('out/vae');
 */
export class FamilyStore<C, N extends Module, F extends object = NoFields> {
  constructor(readonly opts: FamilyStoreOptions<C, N, F>) {}

  #stored(config: C, preset: string, fields?: F): { family: string; preset: string; config: C } {
    return { family: this.opts.family, preset, config, ...fields };
  }

  #extra(ema?: Readonly<Record<string, Tensor>>): Record<string, Tensor> | undefined {
    return this.opts.ema ? withPrefix(ema) : undefined;
  }

  /** The files a save writes (`model.safetensors`, `config.json`) as bytes and text. */
  files(
    net: Module,
    config: C,
    preset: string,
    ema?: Readonly<Record<string, Tensor>>,
    fields?: F,
  ): ModelDirFiles {
    const { fail } = this.opts;
    const stored = this.#stored(config, preset, fields);
    return encodeModelFiles(net, stored, { fail, extra: this.#extra(ema) });
  }

  /** Write {@link FamilyStore.files} into `dir` (Node.js). */
  async write(
    dir: string,
    net: Module,
    config: C,
    preset: string,
    ema?: Readonly<Record<string, Tensor>>,
    fields?: F,
  ): Promise<void> {
    const { fail } = this.opts;
    const stored = this.#stored(config, preset, fields);
    await writeModelDir(dir, net, stored, { fail, extra: this.#extra(ema) });
  }

  /** Write `data` (e.g. an ONNX export) to `path` atomically (Node.js); failures are the family's error. */
  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    await writeFileAtomic(path, data, (why) => this.opts.fail(`cannot write '${path}': ${why}`));
  }

  /** Read a directory (Node.js), a URL base (browsers) or the files; the config is validated. */
  async read(source: ModelSource): Promise<StoredModel<C, F>> {
    const { family, label, fail, trainHint } = this.opts;
    const read = await readModelDir<{ config: unknown }>(source, {
      family,
      label,
      fail,
      trainHint,
    });
    return this.check(read, source);
  }

  /**
   * Check what {@link readModelDir} read from `source` as this family's model: its fields,
   * then its config (a loader that reads once and then picks a store calls this).
   */
  check(read: ReadModel, source: ModelSource): StoredModel<C, F> {
    const { label, fail, resolve } = this.opts;
    const where = describeModelSource(source);
    const stored = read.stored ?? {};
    const fields = this.opts.fields ? this.opts.fields(stored, where) : ({} as F);
    if (!stored.config) throw fail(`${where}: no ${label} config found`);
    const cfg = resolve(stored.config as Partial<C>);
    const out: StoredModel<C, F> = {
      cfg,
      preset: typeof stored.preset === 'string' ? stored.preset : 'custom',
      fields,
      stateDict: read.stateDict,
    };
    if (this.opts.ema) {
      const { own, prefixed } = splitPrefixed(read.stateDict);
      out.stateDict = own;
      out.ema = prefixed;
    }
    if (this.opts.parameters) {
      const described = this.opts.parameters(cfg);
      let held = 0;
      for (const t of Object.values(out.stateDict)) held += t.size;
      if (described > held)
        throw fail(
          `${where}: model.safetensors does not match its config: the config describes a ${label} of ${described} parameters but model.safetensors holds ${held} values: config and weights do not match`,
        );
    }
    return out;
  }

  /**
   * Read `source` into a fresh network from `opts.build`. Weights that do not fit the config
   * (and EMA weights that do not fit the network) are the family's error, naming the source.
   */
  async load(source: ModelSource): Promise<LoadedModel<N, C, F>> {
    return this.build(await this.read(source), source);
  }

  /** The network of a checked model (see {@link FamilyStore.check}) with its weights loaded. */
  build(model: StoredModel<C, F>, source: ModelSource): LoadedModel<N, C, F> {
    const { build } = this.opts;
    const { cfg, preset, fields, stateDict, ema } = model;
    const net = build(cfg);
    try {
      net.loadStateDict(stateDict);
      // The EMA weights must fit the network too (checked on a scratch one).
      if (ema) build(cfg).loadStateDict({ ...stateDict, ...ema });
    } catch (e) {
      throw this.opts.fail(
        `${describeModelSource(source)}: model.safetensors does not match its config: ${(e as Error).message}`,
      );
    }
    return { net, cfg, preset, fields, ema };
  }
}
