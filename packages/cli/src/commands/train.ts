/**
 * `genmodels train <family>`: train a preset with a progress bar, then write
 * model.safetensors, config.json, metrics.json, samples and the family's pictures into a
 * staged directory that replaces the run directory as one unit (see rundir.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CONFIG_FILE, MODEL_FILE, VERSION } from '@genmodels/runtime';
import { type RunConfig, readRunConfig } from '../checkpoint.js';
import { type CliContext, getFamily, getPreset, makeRuntime } from '../common.js';
import { UsageError } from '../errors.js';
import { ensureWritableDir, writeJson } from '../fsio.js';
import { createProgress } from '../progress.js';
import { recoverRunDir, type StagedRun, stageRunDir } from '../rundir.js';
import { writeSamples } from '../writers.js';

/** Options of `train` as commander parses them. */
export interface TrainArgs {
  preset?: string;
  epochs?: number;
  steps?: number;
  seed: number;
  device: string;
  /** Show GPU driver output while the device is probed. */
  verbose?: boolean;
  out?: string;
  threads?: number;
  dataDir?: string;
  corpus?: string;
  /** The user's own training data (points; text for families that train on a corpus). */
  data?: string;
  /** With `data`: the held-out fraction. */
  valFraction?: number;
  /** With `data` of images: the side images are resized and center-cropped to. */
  imageSize?: number;
  /** With `data` of images: labels from subfolders or none. */
  labels?: 'folders' | 'none';
  samples: number;
  /** Replace a run of another family in `out`. */
  force?: boolean;
}

/** Run `train`; returns the exit code. */
export async function trainCommand(
  ctx: CliContext,
  name: string,
  args: TrainArgs,
): Promise<number> {
  const family = getFamily(ctx, name);
  const preset = getPreset(family, args.preset);
  if (args.epochs !== undefined && args.steps !== undefined) {
    throw new UsageError('give either --epochs or --steps, not both');
  }
  const own = dataOptions(family, args);
  const outArg = args.out ?? join('out', family.name);
  if (outArg.trim() === '') throw new UsageError('the output directory is empty; give a path');
  const rt = await makeRuntime(args.device, args.threads, args.verbose);
  // Before training, so an unwritable --out fails in a second, not after the run.
  const dir = resolve(outArg);
  await ensureWritableDir(dirname(dir));
  await recoverRunDir(dir);
  await checkReplaces(dir, family.name, args.force ?? false);
  const stage = await stageRunDir(dir);
  try {
    return await trainInto(ctx, family, preset, { ...args, ...own }, rt, stage);
  } catch (e) {
    await stage.discard();
    throw e;
  }
}

/** Train, write every file of the run into `stage`, then commit it as the run directory. */
async function trainInto(
  ctx: CliContext,
  family: ReturnType<typeof getFamily>,
  preset: string,
  args: TrainArgs,
  rt: Awaited<ReturnType<typeof makeRuntime>>,
  stage: StagedRun,
): Promise<number> {
  const { dir } = stage;
  const tmp = stage.path;
  const length =
    args.steps !== undefined
      ? `${args.steps} steps`
      : args.epochs !== undefined
        ? `${args.epochs} epoch(s)`
        : `${family.presets[preset]?.defaultEpochs ?? 1} epoch(s), the preset's default`;
  ctx.stdout.write(
    `training ${family.name} (preset ${preset}, ${length}, seed ${args.seed}, ${args.device})\n`,
  );

  const progress = createProgress(ctx.stdout, ctx.progressIntervalMs);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let model: Awaited<ReturnType<typeof family.train>>;
  const t0 = performance.now();
  try {
    model = await family.train(rt, {
      preset,
      epochs: args.epochs,
      steps: args.steps,
      seed: args.seed,
      dataDir: args.dataDir,
      // Absolute, so that config.json records where the text or data came from.
      corpus: args.corpus === undefined ? undefined : resolve(args.corpus),
      ...(args.data === undefined
        ? {}
        : {
            data: resolve(args.data),
            valFraction: args.valFraction ?? 0.1,
            ...(args.imageSize === undefined ? {} : { imageSize: args.imageSize }),
            ...(args.labels === undefined ? {} : { labels: args.labels }),
          }),
      signal: abort.signal,
      onProgress: (e) => progress.update(e),
    });
  } finally {
    progress.done();
    process.removeListener('SIGINT', onSigint);
  }
  const seconds = (performance.now() - t0) / 1000;
  ctx.stdout.write(
    `trained in ${seconds.toFixed(1)} s${abort.signal.aborted ? ' (interrupted)' : ''}\n`,
  );

  await model.save(tmp);
  // Keep what the family's own save put in config.json (e.g. a vocabulary) under the run fields.
  const run: RunConfig = {
    ...(await savedConfig(tmp)),
    family: family.name,
    preset,
    seed: args.seed,
    device: args.device,
    epochs: args.epochs ?? null,
    steps: args.steps ?? null,
    runtime: VERSION,
    ...(args.corpus === undefined ? {} : { corpus: resolve(args.corpus) }),
    ...(model.data ? { data: model.data } : {}),
    config: model.config,
  };
  await writeJson(join(tmp, CONFIG_FILE), run);
  const metrics = await model.evaluate({ seed: args.seed });
  await writeJson(join(tmp, 'metrics.json'), metrics);
  const samples = await model.sample(args.samples, args.seed);
  const samplesFile = samples.kind === 'text' ? 'samples.txt' : 'samples.png';
  await writeSamples(join(tmp, samplesFile), samples);
  const extra = model.pictures ? await model.pictures(tmp, args.seed) : [];

  // A family's pictures may replace samples.png with a richer one (e.g. points over the data).
  const files = [...new Set([MODEL_FILE, CONFIG_FILE, 'metrics.json', samplesFile, ...extra])];
  await stage.commit();
  ctx.stdout.write(`metrics: ${JSON.stringify(metrics)}\n`);
  ctx.stdout.write(`wrote to ${dir}:\n${files.map((f) => `  ${join(dir, f)}\n`).join('')}`);
  return 0;
}

/**
 * `--data` as the family reads it: points (or other data) for families whose trainOptions
 * list 'data', the corpus for families that train on text; anything else is a UsageError.
 */
function dataOptions(
  family: ReturnType<typeof getFamily>,
  args: TrainArgs,
): Pick<TrainArgs, 'data' | 'corpus'> {
  const takes: readonly string[] = family.trainOptions ?? [];
  if (args.data !== undefined && args.corpus !== undefined)
    throw new UsageError('give --data or --corpus, not both');
  if (args.corpus !== undefined && family.trainOptions && !takes.includes('corpus'))
    throw new UsageError(
      `${family.name} trains on no text corpus; ${takes.includes('data') ? 'give your data with --data' : 'it takes no --corpus'}`,
    );
  for (const [key, flag] of [
    ['imageSize', '--image-size'],
    ['labels', '--labels'],
  ] as const) {
    if (args[key] === undefined) continue;
    if (args.data === undefined)
      throw new UsageError(`${flag} goes with --data (a folder of images)`);
    if (!takes.includes(key))
      throw new UsageError(`${family.name} takes no ${flag} (its --data is not images)`);
  }
  if (args.data === undefined) return { data: undefined, corpus: args.corpus };
  if (takes.includes('data')) return { data: args.data, corpus: undefined };
  if (takes.includes('corpus')) return { data: undefined, corpus: args.data };
  throw new UsageError(
    `${family.name} trains on its presets' own data; --data is not supported for it yet`,
  );
}

/**
 * What `train` may replace: nothing, an empty directory, or a run directory (config.json
 * names its family) of the same family, or of another one with `force`. A directory of
 * other files is never replaced: the run directory is switched in whole.
 */
export async function checkReplaces(dir: string, family: string, force: boolean): Promise<void> {
  const entries = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    if (e.code === 'ENOTDIR')
      throw new UsageError(`--out '${dir}' is a file, not a directory; choose another --out`);
    throw new UsageError(`cannot read --out '${dir}': ${e.message}`);
  });
  if (entries.length === 0) return;
  const existing = await readRunConfig(dir).catch(() => null);
  if (!existing)
    throw new UsageError(
      `'${dir}' is not empty and is not a genmodels run directory (no readable config.json); a run replaces its directory whole: choose a new or empty --out`,
    );
  if (existing.family !== family && !force)
    throw new UsageError(
      `'${dir}' holds a '${existing.family}' run (preset ${existing.preset}); training ${family} there would replace it: pass --force, or choose another --out`,
    );
}

/** The JSON object a family's `save` wrote to `dir/config.json`, or {} when it wrote none. */
export async function savedConfig(dir: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(join(dir, CONFIG_FILE), 'utf8');
  } catch {
    return {};
  }
  const v = JSON.parse(text) as unknown;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
