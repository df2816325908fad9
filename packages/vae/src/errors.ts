import { GenmodelsError } from '@genmodels/runtime';

/** A VAE configuration, argument or checkpoint that cannot be used (names the field and the value). */
export class VaeError extends GenmodelsError {}
