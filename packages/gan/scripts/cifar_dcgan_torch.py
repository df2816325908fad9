#!/usr/bin/env python3
"""PyTorch reference of the GAN preset `cifar-dcgan`, for the CIFAR-10 Frechet-distance comparison.

Same config as genmodels' `cifar-dcgan` (packages/gan/src/config.ts, network.ts, steps.ts, train.ts):
  generator (z 100 ~ N(0, I)):
    fc Linear(100, 256*4*4), bn0 BatchNorm1d(4096) over the flat features, ReLU, reshape [256, 4, 4]
    deconv1 ConvTranspose2d(256, 128, 4, 2, 1), bn1 BatchNorm2d(128), ReLU      -> 8x8
    deconv2 ConvTranspose2d(128, 64, 4, 2, 1), bn2 BatchNorm2d(64), ReLU        -> 16x16
    deconv3 ConvTranspose2d(64, 3, 4, 2, 1), Tanh                               -> 32x32
  discriminator:
    conv1 Conv2d(3, 64, 4, 2, 1), LeakyReLU(0.2)
    conv2 Conv2d(64, 128, 4, 2, 1), bn2 BatchNorm2d(128), LeakyReLU(0.2)
    conv3 Conv2d(128, 256, 4, 2, 1), bn3 BatchNorm2d(256), LeakyReLU(0.2)
    fc Linear(4096, 1) -> logit
  Every layer has a bias. DCGAN init: weights N(0, 0.02), BatchNorm scales N(1, 0.02), biases 0.
  BatchNorm momentum 0.1, eps 1e-5, training mode throughout training (both nets, both steps).
  Each iteration: one D step on a real batch (full batches of a per-epoch permutation) and a
  fake batch G(z) (no gradient into G; D sees real and fake in separate calls), loss
  BCE(D(real), 1) + BCE(D(fake), 0); then one G step on fresh z, loss BCE(D(G(z)), 1). Adam 2e-4,
  betas (0.5, 0.999), eps 1e-8, one optimizer per net; batch 64; data = pixels / 127.5 - 1.
  EMA of the generator's parameters (decay 0.999, from the initial weights) after each G step.
Samples: the generator with the EMA parameters and the live BatchNorm statistics, eval mode.

Data: CIFAR-10's binary version (data_batch_1.bin .. 5) in --data; write it from the images
genmodels loads with
  pnpm --filter @genmodels/datasets exec tsx --conditions=source scripts/export-cifar10-binary.ts /tmp/cifar-bin

  /usr/bin/python3 packages/gan/scripts/cifar_dcgan_torch.py --data /tmp/cifar-bin --steps 1000 \\
      --samples 10000 --out /tmp/torch-dcgan-s0.npy [--seed 0] [--threads 2]
  pnpm --filter @genmodels/gan exec tsx --conditions=source scripts/score-cifar-samples.ts /tmp/torch-dcgan-s0.npy

The samples file is float32 [n, 3, 32, 32] in [-1, 1] (.npy); score-cifar-samples.ts gives the
Frechet distance in the features of the classifier shipped with @genmodels/datasets against the
10,000 test images, the same function genmodels' `evaluate()` uses.

Output: JSON lines (phase env / train / samples).
"""
import os
import sys

# scripts/torch_cifar.py (repo root) sets OPENBLAS_CORETYPE, so it is imported before torch.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
from torch_cifar import emit, read_cifar_bin  # noqa: E402

import argparse
import copy
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

Z = 100




class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(Z, 256 * 4 * 4)
        self.bn0 = nn.BatchNorm1d(256 * 4 * 4)
        self.deconv1 = nn.ConvTranspose2d(256, 128, 4, 2, 1)
        self.bn1 = nn.BatchNorm2d(128)
        self.deconv2 = nn.ConvTranspose2d(128, 64, 4, 2, 1)
        self.bn2 = nn.BatchNorm2d(64)
        self.deconv3 = nn.ConvTranspose2d(64, 3, 4, 2, 1)

    def forward(self, z):
        h = F.relu(self.bn0(self.fc(z))).view(-1, 256, 4, 4)
        h = F.relu(self.bn1(self.deconv1(h)))
        h = F.relu(self.bn2(self.deconv2(h)))
        return torch.tanh(self.deconv3(h))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 4, 2, 1)
        self.conv2 = nn.Conv2d(64, 128, 4, 2, 1)
        self.bn2 = nn.BatchNorm2d(128)
        self.conv3 = nn.Conv2d(128, 256, 4, 2, 1)
        self.bn3 = nn.BatchNorm2d(256)
        self.fc = nn.Linear(256 * 4 * 4, 1)

    def forward(self, x):
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.leaky_relu(self.bn2(self.conv2(h)), 0.2)
        h = F.leaky_relu(self.bn3(self.conv3(h)), 0.2)
        return self.fc(h.flatten(1))


def dcgan_init(module):
    for name, p in module.named_parameters():
        bn = ".bn" in "." + name
        if name.endswith("weight"):
            nn.init.normal_(p, 1.0 if bn else 0.0, 0.02)
        else:
            nn.init.zeros_(p)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--steps", type=int, default=7810, help="D+G pairs (7810 = the preset's 10 epochs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--samples", type=int, default=10000)
    p.add_argument("--out", required=True, help="samples .npy (float32 [n, 3, 32, 32] in [-1, 1])")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    emit(model="dcgan_cifar", phase="env", torch=torch.__version__, threads=torch.get_num_threads(),
         openblas_coretype=os.environ.get("OPENBLAS_CORETYPE"), seed=a.seed)
    data = read_cifar_bin(a.data, [f"data_batch_{i}.bin" for i in range(1, 6)])[0]
    x_train = torch.from_numpy(data.astype(np.float32) / 127.5 - 1.0)
    G, D = Generator(), Discriminator()
    dcgan_init(G)
    dcgan_init(D)
    emit(phase="params", generator=sum(t.numel() for t in G.parameters()),
         discriminator=sum(t.numel() for t in D.parameters()))
    ema = {k: v.detach().clone() for k, v in G.named_parameters()}
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    gen = torch.Generator().manual_seed(a.seed + 1)
    B, n = 64, x_train.shape[0]
    perm, cursor = torch.randperm(n, generator=gen), 0
    ones, zeros = torch.ones(B, 1), torch.zeros(B, 1)
    sums = {"d_loss": 0.0, "g_loss": 0.0, "d_real": 0.0, "d_fake": 0.0}
    count = 0
    t0 = time.perf_counter()
    for it in range(1, a.steps + 1):
        if cursor + B > n:
            perm, cursor = torch.randperm(n, generator=gen), 0
        real = x_train[perm[cursor:cursor + B]]
        cursor += B
        with torch.no_grad():
            fake = G(torch.randn(B, Z, generator=gen))
        real_logits, fake_logits = D(real), D(fake)
        loss_d = (F.binary_cross_entropy_with_logits(real_logits, ones)
                  + F.binary_cross_entropy_with_logits(fake_logits, zeros))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_g = F.binary_cross_entropy_with_logits(D(G(torch.randn(B, Z, generator=gen))), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        with torch.no_grad():
            for k, v in G.named_parameters():
                ema[k].mul_(0.999).add_(v.detach(), alpha=0.001)
        sums["d_loss"] += loss_d.item()
        sums["g_loss"] += loss_g.item()
        sums["d_real"] += torch.sigmoid(real_logits).mean().item()
        sums["d_fake"] += torch.sigmoid(fake_logits).mean().item()
        count += 1
        if it % 200 == 0 or it == a.steps:
            emit(phase="train", step=it, **{k: v / count for k, v in sums.items()},
                 seconds=time.perf_counter() - t0)
            sums = {k: 0.0 for k in sums}
            count = 0
    train_s = time.perf_counter() - t0
    sampler = copy.deepcopy(G)
    with torch.no_grad():
        for k, v in sampler.named_parameters():
            v.copy_(ema[k])
    sampler.eval()
    sgen = torch.Generator().manual_seed(a.seed + 1000)
    out = np.empty((a.samples, 3, 32, 32), dtype=np.float32)
    with torch.no_grad():
        for i in range(0, a.samples, 500):
            m = min(500, a.samples - i)
            out[i:i + m] = sampler(torch.randn(m, Z, generator=sgen)).numpy()
    tmp = a.out + ".tmp.npy"
    np.save(tmp, out)
    os.replace(tmp, a.out)
    emit(phase="samples", n=a.samples, path=a.out, train_seconds=train_s, steps=a.steps)


if __name__ == "__main__":
    main()
