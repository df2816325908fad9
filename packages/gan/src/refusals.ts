/**
 * What `GAN.evaluate()` says when it has nothing to score against: a GAN trained on your
 * own points or images with nothing held out, or an image GAN of a shape no built-in set
 * has. It never falls back to a set the model was not trained for (MNIST).
 */
import { formatImageShape, type ImageShape } from './config.js';
import { imageLayouts } from './data.js';
import { GanError } from './errors.js';

/** The refusal of `evaluate()` for a GAN trained on your points or images with nothing held out. */
export function missingHeldOut(what: number | ImageShape): never {
  if (typeof what !== 'number')
    throw new GanError(
      `evaluate: this GAN was trained on images you gave (fit), so it has no test set of its own to score against (never MNIST's); pass held-out images it did not train on: evaluate({ data }) with a Tensor of images (${imageLayouts(what)}, float32 in [-1, 1] or uint8) or the path of a folder of images (genmodels eval gan --from DIR --data held-out-folder), or fit with { reference: heldOut }`,
    );
  const d = what;
  throw new GanError(
    `evaluate: this GAN was trained on points you gave (fit), so it has no reference set of its own to score against; pass held-out points it did not train on: evaluate({ data }) with a Tensor [N, ${d}] or a .csv/.tsv/.npy file (genmodels eval gan --from DIR --data held-out.csv)`,
  );
}

/** The refusal of `evaluate()` for an image GAN of a shape no built-in set has, not trained on your images. */
export function noTestSet(shape: ImageShape): never {
  throw new GanError(
    `evaluate: this GAN makes ${formatImageShape(shape)} images (C x H x W) and has no test set of its own (the MNIST presets score against MNIST, cifar-dcgan against CIFAR-10); pass held-out images: evaluate({ data }) with a Tensor of images (${imageLayouts(shape)}, float32 in [-1, 1] or uint8) or the path of a folder of images`,
  );
}
