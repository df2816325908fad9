import { GenmodelsError } from '@genmodels/runtime';

/**
 * A seq2seq configuration, task, source sequence or checkpoint that cannot be used; the
 * message names the field, the tokens or the file and what was expected. (The task
 * generator's own errors are `Seq2seqError` of @genmodels/datasets.)
 */
export class Seq2seqModelError extends GenmodelsError {}
