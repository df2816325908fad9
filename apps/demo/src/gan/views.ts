/** What the GAN worker sends the page to draw (no model code: shared by page and worker). */
export type GanView =
  /** Generated points [n, 2] from a fixed z, over the data's mode centers [k, 2]. */
  | {
      kind: 'points';
      samples: Float32Array;
      data: Float32Array;
      centers: Float32Array;
      bound: number;
    }
  /** Generated images [n, 28, 28] in [-1, 1] (a loaded MNIST GAN). */
  | { kind: 'images'; images: Float32Array; n: number };
