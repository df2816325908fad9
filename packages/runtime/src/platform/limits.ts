/** Limits both platforms' file helpers share (`node.ts` and `web.ts` re-export them). */

/** The most bytes `gunzip` writes unless told otherwise (256 MiB: the largest MNIST file is 47 MB). */
export const GUNZIP_MAX_BYTES = 256 * 1024 * 1024;
