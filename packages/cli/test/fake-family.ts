/**
 * A tiny in-memory model family for CLI tests: trains instantly, saves a marker file,
 * samples deterministic [n, 1, 4, 4] images, or (kind 'text') texts that echo the
 * sample options and save a vocabulary into config.json.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DataProvenance,
  type FamilyEvalOptions,
  type FamilySampleOptions,
  type FamilySamples,
  type FamilyTrainOptions,
  GenmodelsError,
  type ModelFamily,
  type Runtime,
  Tensor,
  type TrainedModel,
} from '@genmodels/runtime';
import type { CliContext } from '../src/common.js';

const MARK = 'FAKE-WEIGHTS v1';

/** Images whose pixel values depend on the seed. */
function images(n: number, seed: number): FamilySamples {
  const data = new Float32Array(n * 16);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7 + seed * 13) % 17) / 16;
  return { kind: 'images', images: new Tensor('float32', [n, 1, 4, 4], data), range: '01' };
}

/** Text `prompt` + `tokens` letters per sample, streamed a letter at a time (first sample). */
function texts(n: number, seed: number, opts: FamilySampleOptions = {}): FamilySamples {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = String.fromCharCode(97 + ((seed + i) % 26)).repeat(opts.tokens ?? 3);
    if (i === 0) for (const c of body) opts.onText?.(c);
    out.push(`${opts.prompt ?? ''}${body}`);
  }
  return { kind: 'text', texts: out };
}

type Kind = 'images' | 'text';

function model(
  name: string,
  preset: string,
  trained: { steps: number },
  kind: Kind,
  seen: FakeFamily['seen'],
  data?: DataProvenance,
): TrainedModel {
  return {
    family: name,
    preset,
    config: { hidden: 4, steps: trained.steps },
    ...(data ? { data } : {}),
    async save(dir) {
      await writeFile(join(dir, 'model.safetensors'), MARK);
      if (kind === 'text') await writeFile(join(dir, 'config.json'), '{"vocab":"abc"}');
    },
    async sample(n, seed, opts) {
      seen.sample = opts;
      return kind === 'text' ? texts(n, seed, opts) : images(n, seed);
    },
    async evaluate(opts) {
      seen.evaluate = opts;
      return { neg_elbo: 100.5, recon: 90.25, kl: 10.25 };
    },
    toFiles() {
      return { 'model.safetensors': MARK };
    },
    onnx(part) {
      return new TextEncoder().encode(`onnx:${part}`);
    },
    async exportOnnx(path, part) {
      await writeFile(path, `onnx:${part}`);
    },
    async pictures(dir) {
      await writeFile(join(dir, 'extra.png'), 'png');
      return ['extra.png'];
    },
  };
}

/** What the fake family was last asked to do. */
export interface FakeFamily extends ModelFamily {
  lastTrain?: FamilyTrainOptions;
  seen: { sample?: FamilySampleOptions; evaluate?: FamilyEvalOptions };
}

/** Which of the user's-data options a fake family reads. */
export interface FakeTakes {
  trainOptions?: ModelFamily['trainOptions'];
  evalOptions?: ModelFamily['evalOptions'];
}

/** A family named `name` with presets `tiny` and `small` and parts decoder, encoder. */
export function fakeFamily(
  name = 'fake',
  kind: Kind = 'images',
  takes: FakeTakes = {},
): FakeFamily {
  const seen: FakeFamily['seen'] = {};
  const fam: FakeFamily = {
    ...takes,
    seen,
    name,
    description: `a fake ${name} family for tests`,
    presets: {
      tiny: { name: 'tiny', description: 'the tiny one', config: {} },
      small: { name: 'small', description: 'the small one', config: {} },
    },
    parts: ['decoder', 'encoder'],
    sampleOptions:
      kind === 'text'
        ? ['prompt', 'tokens', 'temperature', 'topK', 'topP']
        : ['label', 'steps', 'sampler', 'eta', 'guidance'],
    async train(_rt: Runtime, opts) {
      fam.lastTrain = opts;
      const total = opts.steps ?? (opts.epochs ?? 1) * 3;
      for (let step = 1; step <= total; step++) {
        opts.onProgress?.({
          step,
          epoch: Math.floor((step - 1) / 3),
          loss: 200 / step,
          metrics: {},
          samplesPerSec: 1000,
          eta: total - step,
          total,
        });
      }
      // A family that reads --data reports where its data came from.
      const data: DataProvenance | undefined =
        opts.data === undefined
          ? undefined
          : {
              source: opts.data,
              shape: [10, 2],
              normalization: 'standardize',
              split: {
                valFraction: opts.valFraction ?? 0.1,
                seed: opts.seed ?? 0,
                trainRows: 9,
                valRows: 1,
              },
            };
      return model(name, opts.preset, { steps: total }, kind, seen, data);
    },
    async load(_rt: Runtime, dir: string) {
      const text = await readFile(join(dir, 'model.safetensors'), 'utf8');
      if (text !== MARK) throw new GenmodelsError(`model.safetensors: bad header`);
      return model(name, 'tiny', { steps: 0 }, kind, seen);
    },
  };
  return fam;
}

/** A string sink standing in for stdout / stderr. */
export class Sink {
  text = '';
  isTTY = false;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

/** A test context with the fake families and captured streams. */
export function testContext(
  families: Record<string, ModelFamily> = { fake: fakeFamily() },
): CliContext & {
  stdout: Sink;
  stderr: Sink;
} {
  return { families, stdout: new Sink(), stderr: new Sink(), progressIntervalMs: 0 };
}
