/**
 * Family configs as schemas (zod): each family declares its config once as a schema, derives
 * its TypeScript type from it (`z.infer`), and validates every config it is given or reads
 * from a model directory with {@link parseConfig} before anything is built: types, integer
 * ranges, enums. {@link checkParameterCount} then bounds what the config would allocate, so a
 * crafted `config.json` (`latent: 1e6`, `couplings: 1e308`) is a named error, never an
 * out-of-memory crash.
 */
import { z } from 'zod';

export { z };

/** The most parameter values a config may describe (2^30 float32 values: 4 GiB). */
export const MAX_PARAMETERS = 2 ** 30;

/** Parameter values of a Linear `inputs` -> `outputs` (weight and bias). */
export function linearParameters(inputs: number, outputs: number, bias = true): number {
  return inputs * outputs + (bias ? outputs : 0);
}

/** Parameter values of a k x k Conv2d or ConvTranspose2d `inputs` -> `outputs` channels. */
export function convParameters(inputs: number, outputs: number, k: number, bias = true): number {
  return inputs * outputs * k * k + (bias ? outputs : 0);
}

/** A positive integer in 1..max (sizes, counts, widths). */
export function positiveInt(max: number): z.ZodNumber {
  return z.number().int().min(1).max(max);
}

/** An integer in min..max. */
export function intIn(min: number, max: number): z.ZodNumber {
  return z.number().int().min(min).max(max);
}

/** A finite number > 0 (learning rates, scales). */
export function positiveNumber(): z.ZodNumber {
  return z.number().positive();
}

/** `value` shortened for messages: JSON, at most 40 characters. */
function shown(value: unknown): string {
  let s: string;
  try {
    s = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  } catch {
    s = String(value);
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** How messages name the kinds zod expects. */
const KINDS: Readonly<Record<string, string>> = {
  int: 'an integer',
  array: 'an array',
  tuple: 'an array',
  object: 'an object',
  boolean: 'true or false',
};

/** What a zod issue asks for, in the words of the library's other messages. */
function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${KINDS[issue.expected] ?? `a ${issue.expected}`}`;
    case 'too_big':
      return typeof issue.maximum === 'number' || typeof issue.maximum === 'bigint'
        ? issue.origin === 'array'
          ? `must have at most ${issue.maximum} entries`
          : issue.origin === 'string'
            ? `must have at most ${issue.maximum} characters`
            : `must be ${issue.inclusive ? 'at most' : 'below'} ${issue.maximum}`
        : issue.message;
    case 'too_small':
      return issue.origin === 'array'
        ? `must have at least ${issue.minimum} entries`
        : issue.origin === 'number' && issue.minimum === 0 && !issue.inclusive
          ? 'must be > 0'
          : `must be ${issue.inclusive ? 'at least' : 'above'} ${issue.minimum}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => shown(v)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return `has unknown field(s) ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

/** The value at `path` inside `root`, for the message (undefined when absent). */
function at(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/**
 * `value` checked against `schema`; the first problems become one `fail` error naming each
 * field, what it is and what it must be (`what` names the value: 'config' by default), e.g.
 * "VAE config: latent (1000000) must be at most 65536; arch ("rnn") must be one of "mlp", "conv"".
 *
 * @example const cfg = parseConfig(vaeConfigSchema, { ...base, ...partial }, 'VAE', (m) => new VaeError(m));
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  value: unknown,
  label: string,
  fail: (message: string) => Error,
  what = 'config',
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  // One problem per field: zod reports 1e308 for an int field as above the safe-integer
  // range and as above the field's own bound; the field's bound says more.
  const key = (issue: z.core.$ZodIssue) => issue.path.map(String).join('.');
  const unsafe = (issue: z.core.$ZodIssue) =>
    issue.code === 'too_big' && issue.maximum === Number.MAX_SAFE_INTEGER;
  const fields = new Map<string, z.core.$ZodIssue>();
  for (const issue of r.error.issues) {
    const had = fields.get(key(issue));
    if (!had || (unsafe(had) && !unsafe(issue))) fields.set(key(issue), issue);
  }
  const issues = [...fields.values()];
  const parts = issues.slice(0, 3).map((issue) => {
    const name = issue.path.map(String).join('.') || `the ${what}`;
    const got = issue.code === 'unrecognized_keys' ? '' : ` (${shown(at(value, issue.path))})`;
    return `${name}${got} ${expectation(issue)}`;
  });
  const more = issues.length > 3 ? `; and ${issues.length - 3} more` : '';
  throw fail(`${label} ${what}: ${parts.join('; ')}${more}`);
}

/** "1.2e+9" style, for parameter counts in messages. */
function count(n: number): string {
  return n < 1e6 ? String(n) : n.toExponential(2);
}

/**
 * Refuse a config that describes more than {@link MAX_PARAMETERS} parameter values (or a
 * count that is not finite) with `fail`, before any tensor is allocated.
 */
export function checkParameterCount(
  parameters: number,
  label: string,
  fail: (message: string) => Error,
  max = MAX_PARAMETERS,
): void {
  if (!(Number.isFinite(parameters) && parameters <= max))
    throw fail(
      `${label} config describes ${count(parameters)} parameters (${count(parameters * 4)} bytes of float32), over the limit of ${count(max)}; make the network smaller`,
    );
}
