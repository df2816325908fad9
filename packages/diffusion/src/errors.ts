import { GenmodelsError } from '@genmodels/runtime';

/** A diffusion configuration, argument or checkpoint that cannot be used (names the field and the value). */
export class DiffusionError extends GenmodelsError {}
