/**
 * The `genmodels` command line: `main(argv)` parses with commander, runs one command
 * and returns the exit code. Every GenmodelsError becomes one line on stderr and
 * exit code 1 (no stack trace; set GENMODELS_DEBUG=1 to see one).
 */
import { GenmodelsError, type ModelFamily } from '@genmodels/runtime';
import { Command, CommanderError, Option } from 'commander';
import { finetuneCommand } from './commands/finetune.js';
import { trainCommand } from './commands/train.js';
import { evalCommand, exportCommand, sampleCommand } from './commands/use.js';
import {
  type CliContext,
  DEVICES,
  familiesHelp,
  intOption,
  LIMITS,
  numberOption,
} from './common.js';

/** Build the commander program; actions store their exit code in `result.code`. */
function program(ctx: CliContext, result: { code: number }): Command {
  const prog = new Command('genmodels')
    .description('Train, sample, evaluate and export genmodels model families.')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.stdout.write(s),
      writeErr: (s) => void ctx.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', () => familiesHelp(ctx));
  // A plain option: makeRuntime's UsageError names the bad device and lists the valid ones.
  const deviceOpt = () =>
    new Option('--device <name>', `one of ${DEVICES.join(', ')}`).default('cpu');
  const seedOpt = () =>
    new Option('--seed <n>', 'random seed').argParser(intOption(0, LIMITS.seed)).default(0);

  prog
    .command('train')
    .description('train a family preset and write a run directory')
    .argument('<family>', 'model family, e.g. vae')
    .option('--preset <name>', "preset (default: the family's first)")
    .addOption(
      new Option('--epochs <n>', 'passes over the training data').argParser(
        intOption(1, LIMITS.epochs),
      ),
    )
    .addOption(
      new Option('--steps <n>', 'optimizer steps instead of epochs').argParser(
        intOption(1, LIMITS.steps),
      ),
    )
    .addOption(seedOpt())
    .addOption(deviceOpt())
    .option('--verbose', 'show what the GPU drivers print while a device is probed')
    .option('--out <dir>', 'output directory (default: out/<family>)')
    .addOption(
      new Option('--threads <n>', 'CPU threads (default: all cores)').argParser(
        intOption(1, LIMITS.threads),
      ),
    )
    .option('--data-dir <dir>', "where the family's dataset lives when not found by default")
    .option('--corpus <file>', 'text families: the UTF-8 training text (e.g. tinyshakespeare.txt)')
    .option(
      '--data <file>',
      'your own training data: points (.csv, .tsv, .npy) for 2-D presets; text for the transformer (as --corpus)',
    )
    .addOption(
      new Option(
        '--image-size <n>',
        'with --data of images: resize and center-crop to n x n (default: the preset size)',
      ).argParser(intOption(1, 4096)),
    )
    .addOption(
      new Option('--labels <kind>', 'with --data of images: class labels from subfolders, or none')
        .choices(['folders', 'none'])
        .default(undefined),
    )
    .addOption(
      new Option('--val-fraction <f>', 'with --data: the seeded fraction held out for eval')
        .argParser(numberOption(0, 0.9, true))
        .default(0.1),
    )
    .addOption(
      new Option('--samples <n>', 'images in samples.png')
        .argParser(intOption(1, LIMITS.grid))
        .default(64),
    )
    .option('--force', 'replace a run of another family in --out')
    .addHelpText('after', () => familiesHelp(ctx))
    .action(async (name: string, opts) => {
      result.code = await trainCommand(ctx, name, opts);
    });

  prog
    .command('sample')
    .description('sample from a trained run; .png picture, .json/.npy raw values, text file')
    .argument('<family>', 'model family')
    .requiredOption('--from <dir>', 'run directory written by train')
    .addOption(
      new Option('--n <n>', 'number of samples (default: 64 images or points, 1 text)').argParser(
        intOption(1, LIMITS.samples),
      ),
    )
    .addOption(seedOpt())
    .option(
      '--out <file>',
      'output file (.png, .json, .npy, or .txt for text); text without --out goes to stdout',
    )
    .option('--prompt <text>', 'text families: text to continue, or the seq2seq input')
    .addOption(
      new Option('--tokens <n>', 'text families: new tokens per sample').argParser(
        intOption(1, LIMITS.tokens),
      ),
    )
    .addOption(
      new Option(
        '--temperature <t>',
        'text families: softmax temperature (0: always the most likely token)',
      ).argParser(numberOption(0, Number.POSITIVE_INFINITY)),
    )
    .addOption(
      new Option('--top-k <k>', 'text families: keep the k most likely tokens').argParser(
        intOption(1, LIMITS.topK),
      ),
    )
    .addOption(
      new Option('--top-p <p>', 'text families: nucleus sampling mass').argParser(
        numberOption(0, 1, true),
      ),
    )
    .addOption(
      new Option('--label <k>', 'class-conditional presets: the class of every sample').argParser(
        intOption(0, LIMITS.label),
      ),
    )
    .addOption(
      new Option('--steps <n>', 'diffusion: denoising steps').argParser(
        intOption(1, LIMITS.denoise),
      ),
    )
    .option('--sampler <name>', 'diffusion: ddpm or ddim')
    .addOption(
      new Option('--eta <x>', 'diffusion: DDIM stochasticity in [0, 1]').argParser(
        numberOption(0, 1, false),
      ),
    )
    .addOption(
      new Option('--guidance <w>', 'diffusion: classifier-free guidance weight').argParser(
        numberOption(0, Number.POSITIVE_INFINITY, false),
      ),
    )
    .addOption(deviceOpt())
    .option('--verbose', 'show what the GPU drivers print while a device is probed')
    .addHelpText('after', () => familiesHelp(ctx))
    .action(async (name: string, opts) => {
      result.code = await sampleCommand(ctx, name, opts);
    });

  prog
    .command('eval')
    .description('print the test-set metrics of a trained run as JSON')
    .argument('<family>', 'model family')
    .requiredOption('--from <dir>', 'run directory written by train')
    .addOption(seedOpt())
    .addOption(deviceOpt())
    .option('--verbose', 'show what the GPU drivers print while a device is probed')
    .option(
      '--corpus <file>',
      'text families: the text to evaluate on (its last 10% is the validation split)',
    )
    .option(
      '--data <file>',
      'held-out data to score against: points (.csv, .tsv, .npy) for 2-D presets; text for the transformer (as --corpus)',
    )
    .addHelpText('after', () => familiesHelp(ctx))
    .action(async (name: string, opts) => {
      result.code = await evalCommand(ctx, name, opts);
    });

  prog
    .command('export')
    .description(
      'export one part of a trained run as a standalone ONNX file, or a GPT as a GPT-2 directory',
    )
    .argument('<family>', 'model family')
    .requiredOption('--from <dir>', 'run directory written by train or finetune')
    .requiredOption('--out <path>', 'ONNX file to write (--format gpt2 or diffusers: a directory)')
    .option('--part <name>', "part to export (default: the family's first)")
    .option(
      '--format <name>',
      'onnx (default); gpt2: a transformer GPT as a GPT-2 model directory; diffusers: a diffusion U-Net read from diffusers, as a UNet2DModel directory (both for PyTorch / Hugging Face)',
    )
    .addHelpText('after', () => familiesHelp(ctx))
    .action(async (name: string, opts) => {
      result.code = await exportCommand(ctx, name, opts);
    });
  prog
    .command('finetune')
    .description(
      'fine-tune a pretrained PyTorch model (transformer: a GPT-2 directory; diffusion: a diffusers UNet2DModel directory) on your data and write a run directory',
    )
    .argument('<family>', 'model family (transformer or diffusion)')
    .requiredOption(
      '--from-pytorch <dir>',
      'transformer: GPT-2 model directory (model.safetensors, config.json, vocab.json, merges.txt); diffusion: UNet2DModel directory (diffusion_pytorch_model.safetensors, config.json)',
    )
    .option('--corpus <file>', 'transformer: the UTF-8 text to fine-tune on (last 10% validates)')
    .option(
      '--data <path>',
      'transformer: the same as --corpus; diffusion: a folder of PNG / JPEG images (class subfolders for a class-conditional U-Net; a seeded 10% is held out)',
    )
    .addOption(
      new Option(
        '--lora-rank <r>',
        'train LoRA adapters of rank r (merged at the end) instead of all weights',
      ).argParser(intOption(1, 4096)),
    )
    .addOption(
      new Option('--lora-alpha <a>', 'LoRA scale alpha (default: the rank)').argParser(
        numberOption(0, Number.POSITIVE_INFINITY, true),
      ),
    )
    .addOption(
      new Option('--lora-dropout <p>', 'dropout on the LoRA adapters (default 0)').argParser(
        numberOption(0, 1, false),
      ),
    )
    .addOption(
      new Option('--steps <n>', 'optimizer steps')
        .argParser(intOption(1, LIMITS.steps))
        .default(100),
    )
    .addOption(
      new Option('--lr <x>', 'peak learning rate (default 1e-4, with LoRA 1e-3)').argParser(
        numberOption(0, 1, true),
      ),
    )
    .addOption(
      new Option('--batch-size <n>', 'windows per step (default 8)').argParser(
        intOption(1, 1 << 16),
      ),
    )
    .option('--gradient-checkpointing', 'recompute each block in the backward pass (less memory)')
    .option(
      '--train-only <names>',
      'transformer: fine-tune only these parameters, comma-separated names or module prefixes (e.g. h.11,ln_f); the rest stay frozen',
    )
    .addOption(seedOpt())
    .addOption(deviceOpt())
    .option('--verbose', 'show what the GPU drivers print while a device is probed')
    .addOption(
      new Option('--threads <n>', 'CPU threads (default: all cores)').argParser(
        intOption(1, LIMITS.threads),
      ),
    )
    .option('--out <dir>', 'output run directory (default: out/<family>-finetune)')
    .option('--force', 'replace a run of another family in --out')
    .action(async (name: string, opts) => {
      result.code = await finetuneCommand(ctx, name, opts);
    });
  return prog;
}

/** The default context: process streams and (unless given) the built-in families. */
async function defaultContext(
  families?: Readonly<Record<string, ModelFamily>>,
): Promise<CliContext> {
  const all = families ?? (await import('./registry.js')).families;
  return {
    families: all,
    stdout: process.stdout,
    stderr: process.stderr,
    progressIntervalMs: 2000,
  };
}

/**
 * Run the CLI on `argv` (without `node` and the script path) and return the exit code.
 * Tests pass `ctx` with fake families and captured streams.
 *
 * @example
 * process.exitCode = await main(['train', 'vae', '--epochs', '1', '--out', 'out/vae']);
 */
export async function main(
  argv: readonly string[],
  ctx: Partial<CliContext> = {},
): Promise<number> {
  const full: CliContext = { ...(await defaultContext(ctx.families)), ...ctx };
  const result = { code: 0 };
  try {
    await program(full, result).parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed it
    const msg = e instanceof Error ? e.message : String(e);
    const prefix = e instanceof GenmodelsError ? 'error' : 'unexpected error';
    full.stderr.write(`genmodels: ${prefix}: ${msg.split('\n')[0]}\n`);
    if (process.env.GENMODELS_DEBUG && e instanceof Error) full.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
