/**
 * What every command shares: the I/O context, looking up families, presets and
 * devices with errors that list the valid choices, and option parsers.
 */
import type { ModelFamily } from '@genmodels/runtime';
import { Runtime } from '@genmodels/runtime';
import { InvalidArgumentError } from 'commander';
import { UsageError } from './errors.js';
import type { OutStream } from './progress.js';

/** Where commands write and which families they see (tests pass fakes). */
export interface CliContext {
  families: Readonly<Record<string, ModelFamily>>;
  stdout: OutStream;
  stderr: OutStream;
  /** Milliseconds between plain progress lines when stdout is not a TTY. */
  progressIntervalMs: number;
}

/** Devices accepted by `--device`. */
export const DEVICES = ['cpu', 'webgpu', 'cuda'] as const;

/** The family called `name`, or a UsageError listing the known ones. */
export function getFamily(ctx: CliContext, name: string): ModelFamily {
  const f = ctx.families[name];
  if (!f) {
    const known = Object.keys(ctx.families);
    throw new UsageError(
      `unknown family '${name}'; known families: ${known.length ? known.join(', ') : '(none)'}`,
    );
  }
  return f;
}

/** The preset name to use (default: the family's first), or a UsageError listing presets. */
export function getPreset(family: ModelFamily, name: string | undefined): string {
  const names = Object.keys(family.presets);
  const chosen = name ?? names[0];
  if (chosen === undefined || !(chosen in family.presets)) {
    throw new UsageError(
      `unknown preset '${name}' for family '${family.name}'; presets: ${names.join(', ')}`,
    );
  }
  return chosen;
}

/** A runtime on `device`, after checking the name against {@link DEVICES}. */
export async function makeRuntime(
  device: string,
  threads?: number,
  verbose = false,
): Promise<Runtime> {
  if (!(DEVICES as readonly string[]).includes(device)) {
    throw new UsageError(`unknown device '${device}'; use one of ${DEVICES.join(', ')}`);
  }
  return Runtime.create({ device: device as (typeof DEVICES)[number], threads, verbose });
}

/**
 * Upper bounds of the numeric options, so that a typo cannot ask for terabytes or years:
 * samples per `sample` call, images in a training run's grid, new tokens per text, CPU
 * threads, seeds, training length, denoising steps, top-k and class labels.
 */
export const LIMITS = {
  samples: 100_000,
  grid: 1024,
  tokens: 100_000,
  threads: 256,
  /** Random seeds are 32-bit. */
  seed: 2 ** 32 - 1,
  epochs: 1_000_000,
  steps: 1_000_000_000,
  /** Diffusion: denoising steps of one sample call (no schedule has more timesteps). */
  denoise: 100_000,
  topK: 1 << 20,
  label: 65_536,
} as const;

/** Commander parser of an integer option in [min, max] (the error names both). */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected an integer >= ${min}`
          : `expected an integer from ${min} to ${max}`,
      );
    }
    return n;
  };
}

/** Commander parser of a number option in [min, max] (`exclusiveMin`: min itself is refused). */
export function numberOption(
  min: number,
  max: number,
  exclusiveMin = false,
): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const low = exclusiveMin ? n > min : n >= min;
    if (value.trim() === '' || !Number.isFinite(n) || !low || n > max) {
      const lo = exclusiveMin ? `> ${min}` : `>= ${min}`;
      throw new InvalidArgumentError(
        `expected a number ${lo}${Number.isFinite(max) ? ` and <= ${max}` : ''}`,
      );
    }
    return n;
  };
}

/** The families and their presets, for `--help`. */
export function familiesHelp(ctx: CliContext): string {
  const lines = ['', 'Families and presets:'];
  for (const f of Object.values(ctx.families)) {
    lines.push(`  ${f.name}  ${f.description}`);
    for (const p of Object.values(f.presets)) {
      const len = p.defaultEpochs ? ` (default ${p.defaultEpochs} epoch(s))` : '';
      lines.push(`    --preset ${p.name}  ${p.description}${len}`);
    }
    lines.push(`    export parts: ${f.parts.join(', ')}`);
  }
  if (Object.keys(ctx.families).length === 0) lines.push('  (none installed)');
  return `${lines.join('\n')}\n`;
}
