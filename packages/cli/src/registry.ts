/**
 * The model families the CLI knows, by the name used on the command line.
 */

import { diffusionFamily } from '@genmodels/diffusion';
import { flowFamily } from '@genmodels/flow';
import { ganFamily } from '@genmodels/gan';
import type { ModelFamily } from '@genmodels/runtime';
import { transformerFamily } from '@genmodels/transformer';
import { vaeFamily } from '@genmodels/vae';

/** Every built-in family by name (`vae`, `transformer`, `gan`). */
export const families: Readonly<Record<string, ModelFamily>> = {
  [vaeFamily.name]: vaeFamily,
  [transformerFamily.name]: transformerFamily,
  [ganFamily.name]: ganFamily,
  [flowFamily.name]: flowFamily,
  [diffusionFamily.name]: diffusionFamily,
};
