/** What the GAN worker sends the page to draw (no model code: shared by page and worker). */

/** A region of the plane. */
export interface Bounds {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

export type GanView =
  /**
   * Generated points [n, 2] from a fixed z (empty before your data's first training), over
   * the data [m, 2] and its mode centers [k, 2] (none for your own points).
   */
  | {
      kind: 'points';
      samples: Float32Array;
      data: Float32Array;
      centers: Float32Array;
      bounds: Bounds;
    }
  /**
   * Generated images [n, C, H, W] in [-1, 1] of `shape` [C, H, W] (gray or RGB): a DCGAN on
   * your images, or a loaded one.
   */
  | { kind: 'images'; images: Float32Array; n: number; shape: [number, number, number] };
