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
export interface FamilyStoreOptions<C, N extends Module> {
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
}

/** What {@link FamilyStore.read} returns. */
export interface StoredModel<C> {
  cfg: C;
  preset: string;
  /** The module's own tensors. */
  stateDict: Record<string, Tensor>;
  /** EMA weights (families with `ema`), when the checkpoint has them. */
  ema?: Record<string, Tensor>;
}

/** What {@link FamilyStore.load} returns: the network with its weights, and what was stored. */
export interface LoadedModel<N, C> {
  net: N;
  cfg: C;
  preset: string;
  /** EMA weights, when the checkpoint has them. */
  ema?: Record<string, Tensor>;
}

/**
 * @example
 * const store = new FamilyStore({ family: 'vae', label: 'VAE', fail, resolve: resolveConfig, build: (c) => new VaeNetwork(c, new Rng(0)) });
 * await store.write('out/vae', net, net.cfg, 'mnist-mlp');
 * const { cfg, preset, stateDict } = await store.read('out/vae');
 */
export class FamilyStore<C, N extends Module> {
  constructor(readonly opts: FamilyStoreOptions<C, N>) {}

  #stored(config: C, preset: string): { family: string; preset: string; config: C } {
    return { family: this.opts.family, preset, config };
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
  ): ModelDirFiles {
    const { fail } = this.opts;
    return encodeModelFiles(net, this.#stored(config, preset), { fail, extra: this.#extra(ema) });
  }

  /** Write {@link FamilyStore.files} into `dir` (Node.js). */
  async write(
    dir: string,
    net: Module,
    config: C,
    preset: string,
    ema?: Readonly<Record<string, Tensor>>,
  ): Promise<void> {
    const { fail } = this.opts;
    await writeModelDir(dir, net, this.#stored(config, preset), { fail, extra: this.#extra(ema) });
  }

  /** Write `data` (e.g. an ONNX export) to `path` atomically (Node.js); failures are the family's error. */
  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    await writeFileAtomic(path, data, (why) => this.opts.fail(`cannot write '${path}': ${why}`));
  }

  /** Read a directory (Node.js), a URL base (browsers) or the files; the config is validated. */
  async read(source: ModelSource): Promise<StoredModel<C>> {
    const { family, label, fail, resolve } = this.opts;
    const { stored, stateDict } = await readModelDir<{ preset: string; config: Partial<C> }>(
      source,
      { family, label, fail },
    );
    if (!stored?.config) throw fail(`${describeModelSource(source)}: no ${label} config found`);
    const out: StoredModel<C> = {
      cfg: resolve(stored.config),
      preset: stored.preset ?? 'custom',
      stateDict,
    };
    if (this.opts.ema) {
      const { own, prefixed } = splitPrefixed(stateDict);
      out.stateDict = own;
      out.ema = prefixed;
    }
    return out;
  }

  /**
   * Read `source` into a fresh network from `opts.build`. Weights that do not fit the config
   * (and EMA weights that do not fit the network) are the family's error, naming the source.
   */
  async load(source: ModelSource): Promise<LoadedModel<N, C>> {
    const { build } = this.opts;
    const { cfg, preset, stateDict, ema } = await this.read(source);
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
    return { net, cfg, preset, ema };
  }
}
