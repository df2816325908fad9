import { GenmodelsError } from '@genmodels/runtime';

/** A flow configuration, argument, data set or checkpoint that cannot be used (names the field and the value). */
export class FlowError extends GenmodelsError {}
