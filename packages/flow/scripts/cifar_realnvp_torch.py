#!/usr/bin/env python3
"""PyTorch reference of the flow preset `cifar-realnvp`, for the CIFAR-10 bits/dim comparison.

Same config as genmodels' `cifar-realnvp` (packages/flow/src/config.ts, network.ts, logit.ts,
multiscale.ts, conv-coupling.ts, squeeze.ts, flow.ts, data.ts, family.ts, schedule.ts):
  data: pixels k in 0..255, dequantized y = min((k + u) / 256, 1 - 2^-24), u ~ U[0, 1) (float32
        with 24 random bits), afresh for every batch; D = 3 * 32 * 32 = 3072
  logit transform (alpha 0.05): p = alpha + (1 - 2 alpha) y, l = log p - log(1 - p),
        log-det = D log(1 - 2 alpha) - sum(log p + log(1 - p))
  RealNVP multi-scale flow (scales 1, 10 couplings) over l as [3, 32, 32]:
        3 checkerboard couplings at [3, 32, 32] (parity 0, 1, 0), squeeze to [12, 16, 16]
        (pixel_unshuffle order: channel c*4 + dy*2 + dx), 3 channel-wise couplings (parity
        0, 1, 0), factor out channels 0..5 (they go to z as they are), 4 checkerboard
        couplings at [6, 16, 16] (parity 0, 1, 0, 1);
        z = [factored-out half flattened, final output flattened]
  coupling: kept values x_k (checkerboard: x * b, b = 1 where (h + w + parity) even;
        channel-wise: channels [0, C/2) for parity 0, [C/2, C) for parity 1), net(x_k) ->
        [raw, t] (C' channels each), s = scale * tanh(raw) (scale [C', 1, 1], init 1);
        checkerboard: s, t multiplied by (1 - b); y = x * exp(s) + t; log-det = sum s
  net (ConvResNet): Conv2d(in, 64, 3, pad 1); 2 blocks h + conv2(relu(conv1(relu(h)))) with
        Conv2d(64, 64, 3, pad 1); relu; Conv2d(64, out, 3, pad 1), zero-initialized (so every
        coupling starts as the identity); PyTorch's default init for the other convs
  log p(y) = -|z|^2 / 2 - D log(2 pi) / 2 + log-det (logit and couplings; the squeeze is 0)
  loss = bits/dim of the batch = -mean log p(y) / (D ln 2) + 8
  1,566,041 parameters; state-dict keys as genmodels' (layers.0.levels.0.checker.0.scale,
  layers.0.levels.0.channel.1.net.blocks.0.conv1.weight, layers.0.final.3.net.output.bias, ...),
  so `--load DIR/model.safetensors` takes a genmodels checkpoint (load_state_dict strict).
  Adam (0.9, 0.999, eps 1e-8, no weight decay), lr 1e-3 with the family's schedule: linear
  warm-up over min(100, floor(total / 10)) steps (lr (it + 1) / (warmup + 1)), then cosine
  decay to 0 at the last step; global grad-norm clipping at 100; batch 64, the last batch
  of an epoch partial (16 images); an epoch (782 steps) reshuffles the 50,000 images.
  Data order and dequantization noise are genmodels' own streams: its Philox4x32-10 Rng is
  ported below, so the batches are bit for bit those of `flowFamily.train` with the same seed
  (epoch e: Rng(seed).split(e + 1)[e].split(2) -> permutation, noise). The initial weights
  are PyTorch's (torch.manual_seed(seed)), the same distributions as genmodels'.
Evaluation (genmodels' `evaluate()` for cifar10, `evaluateOn`): the 10,000 test images (or the
first --eval-limit) dequantized with one draw of noise from Rng(seed), the same draw
genmodels uses; bits/dim = -mean log p(y) / (3072 ln 2) + 8.

Data: CIFAR-10's binary version (data_batch_1.bin .. 5, test_batch.bin) in --data; write it from
the images genmodels loads with
  pnpm --filter @genmodels/datasets exec tsx --conditions=source scripts/export-cifar10-binary.ts /tmp/cifar-bin

  /usr/bin/python3 packages/flow/scripts/cifar_realnvp_torch.py --data /tmp/cifar-bin --epochs 1 [--eval-epochs 1] [--seed 0] [--threads 2]
  /usr/bin/python3 packages/flow/scripts/cifar_realnvp_torch.py --data /tmp/cifar-bin --steps 200 --eval-limit 1000
  # score a genmodels checkpoint (genmodels train flow --preset cifar-realnvp --out DIR):
  /usr/bin/python3 packages/flow/scripts/cifar_realnvp_torch.py --data /tmp/cifar-bin --epochs 0 --load DIR/model.safetensors

The genmodels side is `pnpm --filter @genmodels/flow exec tsx --conditions=source
scripts/quality.ts --preset cifar-realnvp --epochs 1`.
(`seconds` counts the evaluations done so far too.)

Checked against genmodels (same initial safetensors, same 30 batches of 16, 1 thread): the
per-step bits/dim agree to 2e-7 relative, the grad norms to 2e-5, the batches of
`shuffledBatches` bit for bit, and `evaluateOn` on 128 test images to 3e-6.

Output: JSON lines (phase env / train / eval).
"""
import os
import sys

# scripts/torch_cifar.py (repo root) sets OPENBLAS_CORETYPE, so it is imported before torch.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
from torch_cifar import GmRng, emit, load_safetensors, read_cifar_bin, save_safetensors  # noqa: E402

import argparse
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPE = (3, 32, 32)
DIM = 3 * 32 * 32
HIDDEN = 64
BLOCKS = 2
ALPHA = 0.05
LR = 1e-3
BATCH = 64
CLIP_NORM = 100.0
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
TOP = 1 - 2 ** -24  # dequantized values stay below 1 (data.ts `dequantize`)


def dequantize(pixels_u8, rng):
    """y = min((k + u) / 256, 1 - 2^-24) in float64, stored as float32 (data.ts `dequantize`)."""
    u = rng.uniform(pixels_u8.size).reshape(pixels_u8.shape)
    y = np.minimum((pixels_u8.astype(np.float64) + u) / 256, TOP).astype(np.float32)
    return torch.from_numpy(y)


def shuffled_batches(pixels_u8, batch, seed):
    """data.ts `shuffledBatches`: per epoch a permutation and a noise stream from Rng(seed)."""
    n = pixels_u8.shape[0]
    epoch = 0
    while True:
        perm_rng, noise_rng = GmRng(seed).split(epoch + 1)[epoch].split(2)
        perm = perm_rng.permutation(n)
        for i in range(0, n, batch):
            yield epoch, dequantize(pixels_u8[perm[i:i + batch]], noise_rng)
        epoch += 1


def schedule(lr, total):
    """family `schedule`: warm-up of min(100, total // 10) steps, cosine decay to 0 (it 0-based)."""
    warm = min(100, total // 10)
    total = max(total, warm + 1)

    def at(it):
        if it < warm:
            return lr * (it + 1) / (warm + 1)
        if it > total:
            return 0.0
        return 0.5 * (1 + math.cos(math.pi * (it - warm) / (total - warm))) * lr
    return at


# ---------------------------------------------------------------------------------------------
# The network (packages/flow/src: network.ts, logit.ts, multiscale.ts, conv-coupling.ts).

def squeeze2d(x):
    b, c, h, w = x.shape
    return x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, 4 * c, h // 2, w // 2)


def unsqueeze2d(y):
    b, c4, h, w = y.shape
    return y.reshape(b, c4 // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(b, c4 // 4, 2 * h, 2 * w)


class ResBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, h):
        return h + self.conv2(F.relu(self.conv1(F.relu(h))))


class ConvResNet(nn.Module):
    def __init__(self, inputs, outputs, hidden=HIDDEN, blocks=BLOCKS):
        super().__init__()
        self.input = nn.Conv2d(inputs, hidden, 3, padding=1)
        self.blocks = nn.ModuleList([ResBlock(hidden) for _ in range(blocks)])
        self.output = nn.Conv2d(hidden, outputs, 3, padding=1)
        nn.init.zeros_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def forward(self, x):
        h = self.input(x)
        for b in self.blocks:
            h = b(h)
        return self.output(F.relu(h))


class ConvCoupling(nn.Module):
    def __init__(self, channels, kind, parity):
        super().__init__()
        self.channels, self.kind, self.parity = channels, kind, parity
        changed = channels // 2 if kind == "channel" else channels
        self.scale = nn.Parameter(torch.ones(changed, 1, 1))
        self.net = ConvResNet(changed if kind == "channel" else channels, 2 * changed)

    def st(self, kept):
        c = self.scale.shape[0]
        h = self.net(kept)
        return torch.tanh(h[:, :c]) * self.scale, h[:, c:2 * c]

    def board(self, x):
        h, w = x.shape[2], x.shape[3]
        i = torch.arange(h).view(h, 1)
        j = torch.arange(w).view(1, w)
        return ((i + j + self.parity) % 2 == 0).to(x.dtype).view(1, 1, h, w)

    def halves(self, x):
        c = self.channels
        first, second = x[:, :c // 2], x[:, c // 2:]
        return (first, second) if self.parity == 0 else (second, first)

    def join(self, kept, changed):
        return torch.cat([kept, changed] if self.parity == 0 else [changed, kept], 1)

    def forward(self, x):
        if self.kind == "channel":
            xa, xb = self.halves(x)
            s, t = self.st(xa)
            return self.join(xa, xb * torch.exp(s) + t), s.sum((1, 2, 3))
        b = self.board(x)
        free = 1 - b
        s, t = self.st(x * b)
        s, t = s * free, t * free
        return x * torch.exp(s) + t, s.sum((1, 2, 3))

    def inverse(self, y):
        if self.kind == "channel":
            ya, yb = self.halves(y)
            s, t = self.st(ya)
            return self.join(ya, (yb - t) * torch.exp(-s))
        b = self.board(y)
        free = 1 - b
        s, t = self.st(y * b)
        s, t = s * free, t * free
        return (y - t) * torch.exp(-s)


def couplings(n, channels, kind):
    return nn.ModuleList([ConvCoupling(channels, kind, k % 2) for k in range(n)])


def apply_all(layers, h, dets):
    for layer in layers:
        h, d = layer(h)
        dets.append(d)
    return h


def sum_all(vs):
    out = vs[0]
    for v in vs[1:]:
        out = out + v
    return out


class MultiScaleLevel(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.checker = couplings(3, channels, "checkerboard")
        self.channel = couplings(3, 4 * channels, "channel")

    def forward(self, x):
        dets = []
        h = apply_all(self.checker, x, dets)
        h = apply_all(self.channel, squeeze2d(h), dets)
        half = h.shape[1] // 2
        return h[:, :half], h[:, half:], sum_all(dets)

    def inverse(self, out, h):
        x = torch.cat([out, h], 1)
        for c in reversed(self.channel):
            x = c.inverse(x)
        x = unsqueeze2d(x)
        for c in reversed(self.checker):
            x = c.inverse(x)
        return x


class MultiScaleFlow(nn.Module):
    """scales 1 over [3, 32, 32]: one level at 3 channels, 4 final couplings at [6, 16, 16]."""

    def __init__(self, shape=SHAPE, scales=1):
        super().__init__()
        self.shape = shape
        c = shape[0]
        levels = []
        for _ in range(scales):
            levels.append(MultiScaleLevel(c))
            c *= 2
        self.levels = nn.ModuleList(levels)
        self.final = couplings(4, c, "checkerboard")

    def forward(self, x):
        h = x.reshape(x.shape[0], *self.shape)
        zs, dets = [], []
        for level in self.levels:
            out, h, d = level(h)
            zs.append(out.flatten(1))
            dets.append(d)
        h = apply_all(self.final, h, dets)
        zs.append(h.flatten(1))
        return torch.cat(zs, 1), sum_all(dets)

    def inverse(self, z):
        b = z.shape[0]
        c, hh, ww = self.shape
        parts = []
        for _ in self.levels:
            parts.append((2 * c, hh // 2, ww // 2))
            c, hh, ww = 2 * c, hh // 2, ww // 2
        parts.append((c, hh, ww))
        pieces = torch.split(z, [a * b_ * c_ for a, b_, c_ in parts], 1)
        h = pieces[-1].reshape(b, *parts[-1])
        for f in reversed(self.final):
            h = f.inverse(h)
        for i in reversed(range(len(self.levels))):
            h = self.levels[i].inverse(pieces[i].reshape(b, *parts[i]), h)
        return h.flatten(1)


class FlowNetwork(nn.Module):
    """Logit transform (no parameters), then `layers.0`, the multi-scale flow; standard normal base."""

    def __init__(self, alpha=ALPHA):
        super().__init__()
        self.alpha = alpha
        self.layers = nn.ModuleList([MultiScaleFlow()])

    def logit(self, y):
        a = self.alpha
        p = y * (1 - 2 * a) + a
        q = (1 - a) - y * (1 - 2 * a)  # 1 - p without cancellation near p = 1
        logp, logq = torch.log(p), torch.log(q)
        logdet = y.shape[1] * math.log(1 - 2 * a) - (logp + logq).sum(1)
        return logp - logq, logdet

    def forward(self, y):
        h, logdet = self.logit(y)
        for layer in self.layers:
            h, d = layer(h)
            logdet = logdet + d
        return h, logdet

    def log_prob(self, y):
        z, logdet = self(y)
        return (z * z).sum(1) * -0.5 - z.shape[1] * HALF_LOG_2PI + logdet

    def inverse(self, z):
        h = z
        for layer in reversed(self.layers):
            h = layer.inverse(h)
        a = self.alpha
        return (torch.sigmoid(h) - a) / (1 - 2 * a)


def bpd_loss(model, y):
    """The family's loss for pixel configs: bits/dim = nll * (1 / (D ln 2)) + 8."""
    nll = -model.log_prob(y).mean()
    return nll * (1 / (DIM * math.log(2))) + 8


# ---------------------------------------------------------------------------------------------

def evaluate(model, test, seed, chunk=256):
    """flow.ts `evaluateOn`: one dequantization draw from Rng(seed), mean of log p, bits/dim."""
    rng = GmRng(seed)
    total = 0.0
    model.eval()
    with torch.no_grad():
        for i in range(0, test.shape[0], chunk):
            y = dequantize(test[i:i + chunk], rng)  # the stream runs on over the chunks
            total += model.log_prob(y).double().sum().item()
    model.train()
    nll = -total / test.shape[0]
    if not math.isfinite(nll):
        raise RuntimeError(f"evaluate: the model's NLL is {nll}")
    return nll, nll / (DIM * math.log(2)) + 8


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--steps", type=int, default=None, help="train this many steps (overrides --epochs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=BATCH)
    p.add_argument("--eval-epochs", default="", help="also evaluate after these epochs, e.g. 1,5")
    p.add_argument("--eval-limit", type=int, default=None, help="the first N test images (default all 10,000)")
    p.add_argument("--log-every", type=int, default=100, help="a train line every N steps")
    p.add_argument("--load", default=None, help="initial weights: a genmodels model.safetensors")
    p.add_argument("--save", default=None, help="write the trained weights as safetensors")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    emit(model="flow_cifar_realnvp", phase="env", torch=torch.__version__, threads=torch.get_num_threads(),
         openblas_coretype=os.environ.get("OPENBLAS_CORETYPE"), seed=a.seed)
    train = read_cifar_bin(a.data, [f"data_batch_{i}.bin" for i in range(1, 6)])[0].reshape(-1, DIM)
    test = read_cifar_bin(a.data, ["test_batch.bin"])[0].reshape(-1, DIM)
    if a.eval_limit is not None:
        test = test[:a.eval_limit]
    model = FlowNetwork()
    if a.load:
        model.load_state_dict(load_safetensors(a.load), strict=True)
    params = sum(t.numel() for t in model.parameters())
    per_epoch = -(-train.shape[0] // a.batch)
    total = a.steps if a.steps is not None else a.epochs * per_epoch
    emit(phase="env", parameters=params, steps=total, steps_per_epoch=per_epoch)
    evals = {int(e) for e in a.eval_epochs.split(",") if e} | ({a.epochs} if a.steps is None else set())
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    lr_at = schedule(LR, total)
    t0 = time.perf_counter()
    step = 0
    batches = shuffled_batches(train, a.batch, a.seed)
    while step < total:
        epoch, y = next(batches)
        lr = lr_at(step)
        for g in opt.param_groups:
            g["lr"] = lr
        loss = bpd_loss(model, y)
        opt.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
        opt.step()
        step += 1
        if not math.isfinite(loss.item()):
            raise RuntimeError(f"loss is {loss.item()} at step {step}")
        end_of_epoch = step % per_epoch == 0
        if step % a.log_every == 0 or step == total or end_of_epoch:
            emit(phase="train", epoch=epoch + 1, step=step,
                 bpd=loss.item(), grad_norm=norm.item(), lr=lr, seconds=time.perf_counter() - t0)
        if end_of_epoch and step // per_epoch in evals and step < total:
            run_eval(model, test, a.seed, step, t0)
    if a.save:
        save_safetensors(a.save, model.state_dict())
    run_eval(model, test, a.seed, step, t0)


def run_eval(model, test, seed, step, t0):
    nll, bpd = evaluate(model, test, seed)
    emit(phase="eval", images=int(test.shape[0]), nll=nll, bits_per_dim=bpd, steps=step,
         seconds=time.perf_counter() - t0)


if __name__ == "__main__":
    main()
