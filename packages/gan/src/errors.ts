import { GenmodelsError } from '@genmodels/runtime';

/** A GAN configuration, argument or checkpoint that cannot be used (names the field and the value). */
export class GanError extends GenmodelsError {}
