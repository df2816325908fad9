/**
 * The LeNet-5-style MNIST classifier behind the Frechet LeNet Distance. Its weights are
 * trained by `scripts/train-lenet.ts` (seeded) and shipped inside the package
 * (`lenet-weights.ts`, safetensors bytes), so evaluation needs no download.
 *
 *   x [N, 1, 28, 28] in [0, 1] -> conv 5x5 (6) -> ReLU -> maxpool 2 -> conv 5x5 (16) -> ReLU
 *   -> maxpool 2 -> flatten 256 -> fc 120 -> ReLU -> fc 84 -> ReLU (features) -> fc 10
 */
import { Conv2d, Linear, Module, ops, type Rng, type Value } from '@genmodels/runtime';

export class LeNet extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly fc3: Linear;

  constructor(rng: Rng) {
    super();
    this.conv1 = new Conv2d(1, 6, 5, { rng });
    this.conv2 = new Conv2d(6, 16, 5, { rng });
    this.fc1 = new Linear(256, 120, { rng });
    this.fc2 = new Linear(120, 84, { rng });
    this.fc3 = new Linear(84, 10, { rng });
  }

  /** The 84-d features of the last hidden layer. x: [N, 1, 28, 28] in [0, 1]. */
  features(x: Value): Value {
    let h = ops.maxPool2d(ops.relu(this.conv1.call(x)), 2);
    h = ops.maxPool2d(ops.relu(this.conv2.call(h)), 2);
    h = ops.reshape(h, [x.shape[0], 256]);
    return ops.relu(this.fc2.call(ops.relu(this.fc1.call(h))));
  }

  /** Class logits [N, 10]. */
  forward(x: Value): Value {
    return this.fc3.call(this.features(x));
  }
}
