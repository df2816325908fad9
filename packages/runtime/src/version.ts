import { version } from '../package.json';

/** The library version (from package.json), stored in checkpoints and exported models. */
export const VERSION: string = version;
