/**
 * The model families the CLI knows, by the name used on the command line.
 */
import type { ModelFamily } from '@genmodels/runtime';
import { vaeFamily } from '@genmodels/vae';

/** Every built-in family by name (`vae`, ...). */
export const families: Readonly<Record<string, ModelFamily>> = {
  [vaeFamily.name]: vaeFamily,
};
