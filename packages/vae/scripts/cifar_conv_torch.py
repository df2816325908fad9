#!/usr/bin/env python3
"""PyTorch reference of the VAE preset `cifar-conv`, for the CIFAR-10 bits/dim comparison.

Same config as genmodels' `cifar-conv` (packages/vae/src/config.ts, network.ts, likelihood.ts):
  encoder: conv1 Conv2d(3, 64, 4, stride 2, pad 1), ReLU; conv2 Conv2d(64, 128, 4, 2, 1), ReLU;
           flatten [128, 8, 8] -> fc_mu, fc_logvar Linear(8192, 128)
  z = mu + eps * exp(logvar / 2)
  decoder: fc1 Linear(128, 8192), ReLU, reshape [128, 8, 8]; deconv1 ConvTranspose2d(128, 64, 4, 2, 1),
           ReLU; deconv2 ConvTranspose2d(64, 3, 4, 2, 1) -> logits; mean = sigmoid(logits);
           one learned log_sigma (init 0)
  recon = sum over the 3,072 pixels of (x - mean)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2
  loss = mean over the batch of recon + KL(q(z|x) || N(0, I))
  Adam lr 1e-3 (0.9, 0.999, eps 1e-8), batch 128 (last batch of an epoch partial), shuffled
  per epoch; each batch dequantized: (k + u) / 256, u ~ U[0, 1). PyTorch's default init.
  --streams genmodels draws the data order, the dequantization noise and epsilon from a port
  of genmodels' Rng exactly as `vae.fit` does (else numpy's and torch's generators; --order,
  --noise and --eps pick one stream each), and
  --load DIR/model.safetensors starts from genmodels' weights (for example an untrained
  `VAE.create(rt, 'cifar-conv', { seed })` saved).
Evaluation: the 10,000 test images dequantized with seeded noise, one z per image;
bits/dim = neg ELBO / (3072 ln 2) + 8 (the bound on the 8-bit data).

Data: CIFAR-10's binary version (data_batch_1.bin .. 5, test_batch.bin) in --data; write it from
the images genmodels loads with
  pnpm --filter @genmodels/datasets exec tsx --conditions=source scripts/export-cifar10-binary.ts /tmp/cifar-bin

  /usr/bin/python3 packages/vae/scripts/cifar_conv_torch.py --data /tmp/cifar-bin --epochs 10 --eval-epochs 1 [--seed 0] [--threads 2]

(`seconds` counts the evaluations done so far too.)

Output: JSON lines (phase env / train / eval).
"""
import os
import sys

# scripts/torch_cifar.py (repo root) sets OPENBLAS_CORETYPE, so it is imported before torch.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
from torch_cifar import GmRng, emit, load_safetensors, read_cifar_bin  # noqa: E402

import argparse
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(64, 128, 4, stride=2, padding=1)
        self.fc_mu = nn.Linear(8192, 128)
        self.fc_logvar = nn.Linear(8192, 128)

    def forward(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x)))).flatten(1)
        return self.fc_mu(h), self.fc_logvar(h)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(128, 8192)
        self.deconv1 = nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1)
        self.deconv2 = nn.ConvTranspose2d(64, 3, 4, stride=2, padding=1)
        self.log_sigma = nn.Parameter(torch.zeros(1))

    def forward(self, z):
        f = F.relu(self.fc1(z)).view(-1, 128, 8, 8)
        return self.deconv2(F.relu(self.deconv1(f)))


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()

    def terms(self, x, eps=None):
        mu, logvar = self.encoder(x)
        z = mu + (torch.randn_like(mu) if eps is None else eps) * torch.exp(0.5 * logvar)
        mean = torch.sigmoid(self.decoder(z))
        ls = self.decoder.log_sigma
        recon = (((x - mean) ** 2) * (0.5 * torch.exp(-2 * ls)) + ls + 0.5 * math.log(2 * math.pi)).flatten(1).sum(1)
        kl = 0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar).sum(1)
        return recon, kl


def dequantize(u8, gen):
    x = torch.from_numpy(u8.astype(np.float32))
    return (x + torch.rand(x.shape, generator=gen)) / 256


class Streams:
    """Where the data order, the dequantization noise and epsilon come from, each either
    'torch': numpy's permutation, torch.rand from Generator(seed + 1), torch.randn_like from
    the global generator (seeded with the seed, after the initial weights); or 'genmodels': a
    port of its Philox Rng, drawn as vae.ts `fit` and data.ts draw them: epoch e's order
    Rng(seed).split(e + 1)[e].permutation(n); the noise one stream Rng(seed).split(2)[1],
    (k + u) / 256 in float64 stored as float32; epsilon the train step's stream Rng(seed),
    normal(B * 128) per step."""

    def __init__(self, seed, order, noise, eps):
        self.seed = seed
        self.kinds = {"order": order, "noise": noise, "eps": eps}
        self.np_rng = np.random.default_rng(seed)
        self.gen = torch.Generator().manual_seed(seed + 1)
        self.gm_noise = GmRng(seed).split(2)[1]
        self.gm_eps = GmRng(seed)

    def order(self, epoch, n):
        if self.kinds["order"] == "genmodels":
            return GmRng(self.seed).split(epoch + 1)[epoch].permutation(n)
        return self.np_rng.permutation(n)

    def batch(self, u8):
        if self.kinds["noise"] == "genmodels":
            u = self.gm_noise.uniform(u8.size).reshape(u8.shape)
            return torch.from_numpy(((u8.astype(np.float64) + u) / 256).astype(np.float32))
        return dequantize(u8, self.gen)

    def eps(self, rows):
        """Epsilon [rows, 128], or None: the model draws torch.randn_like."""
        if self.kinds["eps"] == "genmodels":
            return torch.from_numpy(self.gm_eps.normal(rows * 128).reshape(rows, 128))
        return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--eval-epochs", default="", help="also evaluate after these epochs, e.g. 1,5")
    p.add_argument("--streams", choices=["torch", "genmodels"], default="torch",
                   help="data order, dequantization noise and epsilon: PyTorch's generators or genmodels' Rng")
    for k in ("order", "noise", "eps"):
        p.add_argument(f"--{k}", choices=["torch", "genmodels"], default=None, help=f"the {k} stream only (default --streams)")
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps (a check; no evaluation)")
    p.add_argument("--load", default=None, help="initial weights: a genmodels model.safetensors")
    a = p.parse_args()
    evals = {int(e) for e in a.eval_epochs.split(",") if e} | {a.epochs}
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    emit(model="vae_cifar_conv", phase="env", torch=torch.__version__, threads=torch.get_num_threads(),
         openblas_coretype=os.environ.get("OPENBLAS_CORETYPE"), seed=a.seed,
         streams={k: getattr(a, k) or a.streams for k in ("order", "noise", "eps")}, load=a.load)
    train = read_cifar_bin(a.data, [f"data_batch_{i}.bin" for i in range(1, 6)])[0]
    test = read_cifar_bin(a.data, ["test_batch.bin"])[0]
    model = VAE()
    if a.load:
        model.load_state_dict(load_safetensors(a.load), strict=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    streams = Streams(a.seed, *(getattr(a, k) or a.streams for k in ("order", "noise", "eps")))
    n = train.shape[0]
    step = 0
    t0 = time.perf_counter()
    for epoch in range(a.epochs):
        perm = streams.order(epoch, n)
        for i in range(0, n, a.batch):
            x = streams.batch(train[perm[i:i + a.batch]])
            recon, kl = model.terms(x, streams.eps(x.shape[0]))
            loss = recon.mean() + kl.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step == a.steps:
                emit(phase="train", epoch=epoch + 1, step=step, loss=loss.item(), recon=recon.mean().item(),
                     kl=kl.mean().item(), log_sigma=model.decoder.log_sigma.item())
                return
        emit(phase="train", epoch=epoch + 1, step=step, loss=loss.item(), recon=recon.mean().item(),
             kl=kl.mean().item(), log_sigma=model.decoder.log_sigma.item(),
             seconds=time.perf_counter() - t0)
        if epoch + 1 in evals:
            evaluate(model, test, a.seed, step, time.perf_counter() - t0)


def evaluate(model, test, seed, step, seconds):
    egen = torch.Generator().manual_seed(seed + 2)
    tot_r = tot_k = 0.0
    with torch.no_grad():
        for i in range(0, test.shape[0], 1000):
            r, k = model.terms(dequantize(test[i:i + 1000], egen))
            tot_r += r.double().sum().item()
            tot_k += k.double().sum().item()
    m = test.shape[0]
    neg_elbo = (tot_r + tot_k) / m
    emit(phase="eval", images=m, neg_elbo=neg_elbo, recon=tot_r / m, kl=tot_k / m,
         bits_per_dim=neg_elbo / (3072 * math.log(2)) + 8, steps=step, seconds=seconds)


if __name__ == "__main__":
    main()
