import { GenmodelsError } from '@genmodels/runtime';

/**
 * A GPT configuration, prompt, corpus or checkpoint that cannot be used; the message names
 * the field, the characters or the file and what was expected.
 */
export class GptError extends GenmodelsError {}
