/**
 * Commands that use a trained run directory: `sample`, `eval` and `export`.
 */
import { dirname, extname, resolve } from 'node:path';
import { Diffusion } from '@genmodels/diffusion';
import type { ModelFamily } from '@genmodels/runtime';
import { BpeTokenizer, GPT } from '@genmodels/transformer';
import { loadRun } from '../checkpoint.js';
import { type CliContext, getFamily, makeRuntime } from '../common.js';
import { UsageError } from '../errors.js';
import { ensureWritableDir, ensureWritableFile } from '../fsio.js';
import { writeSamples } from '../writers.js';

/** Options of `sample`. */
export interface SampleArgs {
  from: string;
  /** Default: 64 images or points, 1 text. */
  n?: number;
  seed: number;
  /** Text samples without a file go to stdout. */
  out?: string;
  device: string;
  /** Show GPU driver output while the device is probed. */
  verbose?: boolean;
  prompt?: string;
  tokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  label?: number;
  steps?: number;
  sampler?: string;
  eta?: number;
  guidance?: number;
}

/** The CLI flag of each family sample option. */
const SAMPLE_FLAGS = {
  prompt: '--prompt',
  tokens: '--tokens',
  temperature: '--temperature',
  topK: '--top-k',
  topP: '--top-p',
  label: '--label',
  steps: '--steps',
  sampler: '--sampler',
  eta: '--eta',
  guidance: '--guidance',
} as const;

/** A sample option the family does not read is a UsageError, not silently ignored. */
function checkSampleOptions(family: ModelFamily, args: SampleArgs): void {
  const takes: readonly string[] = family.sampleOptions ?? [];
  for (const [key, flag] of Object.entries(SAMPLE_FLAGS)) {
    if (args[key as keyof typeof SAMPLE_FLAGS] === undefined || takes.includes(key)) continue;
    const known = takes.map((k) => SAMPLE_FLAGS[k as keyof typeof SAMPLE_FLAGS]);
    throw new UsageError(
      `${family.name} samples take no ${flag} (sample options of ${family.name}: ${known.length ? known.join(', ') : 'none'})`,
    );
  }
}

/** `genmodels sample <family> --from DIR [--out FILE]`; returns the exit code. */
export async function sampleCommand(
  ctx: CliContext,
  name: string,
  args: SampleArgs,
): Promise<number> {
  const family = getFamily(ctx, name);
  checkSampleOptions(family, args);
  const out = args.out;
  if (out !== undefined) await ensureWritableFile(out);
  const rt = await makeRuntime(args.device, undefined, args.verbose);
  const { model } = await loadRun(family, rt, args.from);
  const n = args.n ?? (out === undefined ? 1 : 64);
  // Without a file, the first text streams to stdout as it is generated.
  let streamed = false;
  const samples = await model.sample(n, args.seed, {
    prompt: args.prompt,
    tokens: args.tokens,
    temperature: args.temperature,
    topK: args.topK,
    topP: args.topP,
    label: args.label,
    steps: args.steps,
    sampler: args.sampler,
    eta: args.eta,
    guidance: args.guidance,
    onText:
      out === undefined
        ? (t) => {
            streamed = true;
            ctx.stdout.write(t);
          }
        : undefined,
  });
  if (out === undefined) {
    if (samples.kind !== 'text') {
      throw new UsageError(
        `${family.name} samples are ${samples.kind}: give --out FILE (.png, .json or .npy)`,
      );
    }
    const [first = '', ...rest] = samples.texts;
    if (!streamed) ctx.stdout.write(first);
    for (const t of rest) ctx.stdout.write(`\n\n${t}`);
    ctx.stdout.write('\n');
    return 0;
  }
  const ext = extname(out).toLowerCase();
  if (samples.kind !== 'text' && !['.png', '.json', '.npy'].includes(ext)) {
    throw new UsageError(
      `cannot write ${samples.kind} samples to '${out}': use a .png, .json or .npy file`,
    );
  }
  await writeSamples(out, samples);
  ctx.stdout.write(`wrote ${n} samples to ${resolve(out)}\n`);
  return 0;
}

/** Options of `eval`. */
export interface EvalArgs {
  from: string;
  seed: number;
  device: string;
  /** Show GPU driver output while the device is probed. */
  verbose?: boolean;
  /** Text families: the corpus to evaluate on. */
  corpus?: string;
  /** Held-out data to score against (text families: the corpus). */
  data?: string;
}

/** `genmodels eval <family> --from DIR`: prints the metrics as JSON; returns the exit code. */
export async function evalCommand(ctx: CliContext, name: string, args: EvalArgs): Promise<number> {
  const family = getFamily(ctx, name);
  const takes: readonly string[] = family.evalOptions ?? [];
  if (args.corpus !== undefined && args.data !== undefined)
    throw new UsageError('give --data or --corpus, not both');
  if (args.corpus !== undefined && !takes.includes('corpus'))
    throw new UsageError(`${family.name} evaluates on its own test data; it takes no --corpus`);
  if (args.data !== undefined && !takes.includes('data') && !takes.includes('corpus'))
    throw new UsageError(`${family.name} evaluates on its own test data; it takes no --data`);
  const data = args.data === undefined ? undefined : resolve(args.data);
  const held = data === undefined ? {} : takes.includes('data') ? { data } : { corpus: data };
  const rt = await makeRuntime(args.device, undefined, args.verbose);
  const { model } = await loadRun(family, rt, args.from);
  const metrics = await model.evaluate({
    seed: args.seed,
    ...(args.corpus === undefined ? {} : { corpus: resolve(args.corpus) }),
    ...held,
  });
  ctx.stdout.write(`${JSON.stringify(metrics, null, 2)}\n`);
  return 0;
}

/** Options of `export`. */
export interface ExportArgs {
  from: string;
  out: string;
  part?: string;
  /**
   * 'onnx' (default): one part as an ONNX file; 'gpt2': a GPT as a GPT-2 model directory;
   * 'diffusers': a diffusers-layout U-Net as a UNet2DModel directory.
   */
  format?: string;
}

/** `genmodels export transformer --from DIR --format gpt2 --out DIR`: the GPT in GPT-2 names. */
async function exportGpt2(ctx: CliContext, family: ModelFamily, args: ExportArgs): Promise<number> {
  if (args.part !== undefined)
    throw new UsageError('--format gpt2 writes the whole model; it takes no --part');
  if (extname(args.out).toLowerCase() === '.onnx')
    throw new UsageError(`--format gpt2 writes a directory; '${args.out}' looks like an ONNX file`);
  const out = resolve(args.out);
  await ensureWritableDir(dirname(out));
  const rt = await makeRuntime('cpu');
  const { model } = await loadRun(family, rt, args.from);
  if (!(model instanceof GPT))
    throw new UsageError(
      `--format gpt2 exports a GPT; '${args.from}' holds another kind of ${family.name} model`,
    );
  await model.saveGpt2(out);
  ctx.stdout.write(
    `exported the GPT in GPT-2 format (model.safetensors, config.json${model.tokenizer instanceof BpeTokenizer ? ', vocab.json, merges.txt' : ''}) to ${out}\n`,
  );
  return 0;
}

/** `genmodels export diffusion --from DIR --format diffusers --out DIR`: the U-Net in diffusers' names. */
async function exportDiffusers(
  ctx: CliContext,
  family: ModelFamily,
  args: ExportArgs,
): Promise<number> {
  if (args.part !== undefined)
    throw new UsageError('--format diffusers writes the whole U-Net; it takes no --part');
  if (extname(args.out).toLowerCase() === '.onnx')
    throw new UsageError(
      `--format diffusers writes a directory; '${args.out}' looks like an ONNX file`,
    );
  const out = resolve(args.out);
  await ensureWritableDir(dirname(out));
  const rt = await makeRuntime('cpu');
  const { model } = await loadRun(family, rt, args.from);
  if (!(model instanceof Diffusion) || model.config.diffusers === undefined)
    throw new UsageError(
      `--format diffusers exports a U-Net of diffusers' layout (one read with finetune diffusion --from-pytorch); '${args.from}' holds another kind of diffusion model`,
    );
  await model.saveDiffusers(out);
  ctx.stdout.write(
    `exported the U-Net in diffusers format (diffusion_pytorch_model.safetensors, config.json) to ${out}\n`,
  );
  return 0;
}

/** `genmodels export <family> --from DIR --out FILE.onnx [--part NAME]`; returns the exit code. */
export async function exportCommand(
  ctx: CliContext,
  name: string,
  args: ExportArgs,
): Promise<number> {
  const family = getFamily(ctx, name);
  const format = args.format ?? 'onnx';
  if (format === 'gpt2') {
    if (family.name !== 'transformer')
      throw new UsageError(`--format gpt2 exports a transformer GPT, not a ${family.name} model`);
    return exportGpt2(ctx, family, args);
  }
  if (format === 'diffusers') {
    if (family.name !== 'diffusion')
      throw new UsageError(
        `--format diffusers exports a diffusion U-Net, not a ${family.name} model`,
      );
    return exportDiffusers(ctx, family, args);
  }
  if (format !== 'onnx')
    throw new UsageError(`unknown export format '${format}'; use onnx, gpt2 or diffusers`);
  if (extname(args.out).toLowerCase() !== '.onnx') {
    throw new UsageError(`export writes an ONNX file; '${args.out}' should end in .onnx`);
  }
  const out = await ensureWritableFile(args.out);
  const rt = await makeRuntime('cpu');
  const { model } = await loadRun(family, rt, args.from);
  // A family with several kinds of model (the transformer's GPT and seq2seq) has parts per model.
  const parts = model.parts ?? family.parts;
  const part = args.part ?? parts[0];
  if (part === undefined || !parts.includes(part)) {
    throw new UsageError(
      `unknown part '${args.part}' of this ${family.name} model; parts: ${parts.join(', ')}`,
    );
  }
  await model.exportOnnx(out, part);
  ctx.stdout.write(`exported ${family.name} ${part} to ${out}\n`);
  return 0;
}
