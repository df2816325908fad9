#!/usr/bin/env python3
"""PyTorch reference of the diffusion preset `cifar-unet`, for the CIFAR-10 Frechet-distance comparison.

Same config as genmodels' `cifar-unet` (packages/diffusion/src/config.ts, network.ts, embedding.ts,
schedule.ts, steps.ts, train.ts, sampler.ts, diffusion.ts):
  class-conditional U-Net eps_theta(x_t, t, y) on 3x32x32, channels [64, 128, 128] (levels at 32,
  16, 8), GroupNorm(8, eps 1e-5), SiLU, 4-head self-attention at 16x16 (down and up) and in the
  middle (8x8). State-dict keys as genmodels' (`denoiser.down.0.conv1.weight`, ...), so a
  genmodels model.safetensors loads with load_state_dict(strict=True) (its `ema.*` tensors aside):
    time embedding: [sin(t f), cos(t f)], f_i = exp(-ln(10000) i / 32), i < 32 (64 wide);
      time1 Linear(64, 256), SiLU, time2 Linear(256, 256); + classEmbed Embedding(11, 256)
      (class 10: the null class); e = SiLU(emb)
    convIn Conv2d(3, 64, 3, pad 1)
    down.l: ResBlock -> channels[l] (then downAttn.1 at 16x16); downsample.l Conv2d(c, c, 3, stride 2,
      pad 1) between levels; each level's output is its skip
    mid1 ResBlock(128, 128), midAttn, mid2 ResBlock(128, 128)
    up.i (level l = 2 - i): ResBlock over cat([h, skip_l]) -> channels[l] (then upAttn.1 at 16x16);
      upsample.i (nearest x2, Conv2d(c, c, 3, pad 1)) but for the top level
    normOut GroupNorm(8, 64), SiLU, convOut Conv2d(64, 3, 3, pad 1)
    ResBlock(cin, cout): conv1(SiLU(norm1 x)) + temb(e)[:, :, None, None], conv2(SiLU(norm2 h)),
      + skip(x) (1x1 conv when cin != cout, else x); no dropout
    AttentionBlock(c): x + MultiheadAttention(c, 4, batch_first)(GroupNorm(x) as [B, HW, c])
  Init: PyTorch's defaults (Linear/Conv kaiming_uniform(a = sqrt 5) + U(+-1/sqrt fan_in) bias,
  Embedding N(0, 1), GroupNorm 1/0, MHA in_proj xavier_uniform, in_proj_bias and out_proj.bias 0).
  Forward process: linear betas 1e-4 .. 0.02, T = 1000 (0-based t), x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps.
  Loss: MSE (mean over every value) between eps_theta(x_t, t, y) and eps (eps prediction).
  Each step: a batch of 64 from a per-epoch permutation (full batches only; a fresh permutation when
  fewer than 64 rows are left), t ~ U{0..999}, eps ~ N(0, I), label -> null class with
  probability 0.1 (classifier-free guidance). Data = pixels / 127.5 - 1.
  Adam lr 2e-4, betas (0.9, 0.999), eps 1e-8, no weight decay, no warmup, no gradient clipping.
  EMA of the parameters from the initial weights, after step k: decay min(0.999, (1 + k) / (10 + k)).
Samples (as evaluate() draws them): the EMA weights; DDIM, 50 steps evenly spaced over 999..0
(round(i 999 / 49)), eta 0, x0^ clipped to [-1, 1]; classifier-free guidance w = 2 on eps,
(1 + w) eps(x, y) - w eps(x, null); class i mod 10 for sample i; the update in float64 per value.
The preset trains 20 epochs = 20 * 781 = 15,620 steps (the default --steps).

Data: CIFAR-10's binary version (data_batch_1.bin .. 5) in --data; write it from the images
genmodels loads with
  pnpm --filter @genmodels/datasets exec tsx --conditions=source scripts/export-cifar10-binary.ts /tmp/cifar-bin

  /usr/bin/python3 packages/diffusion/scripts/cifar_unet_torch.py --data /tmp/cifar-bin --steps 15620 \\
      --samples 1000 --out /tmp/torch-cifar-unet-s0.npy [--seed 0] [--threads 2]
  pnpm --filter @genmodels/datasets exec tsx --conditions=source scripts/score-cifar-samples.ts /tmp/torch-cifar-unet-s0.npy [--test 1000]

The samples file is float32 [n, 3, 32, 32] in [-1, 1] (.npy); score-cifar-samples.ts gives the
Frechet distance in the features of the classifier shipped with @genmodels/datasets against the
first --test CIFAR-10 test images (default 10,000), the same function genmodels' `evaluate()` uses
(which scores 1,000 samples against the first 1,000 test images by default: --test 1000).

Output: JSON lines (phase env / params / train / samples).
"""
import os
import sys

# scripts/torch_cifar.py (repo root) sets OPENBLAS_CORETYPE, so it is imported before torch.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
from torch_cifar import emit, read_cifar_bin  # noqa: E402

import argparse
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CHANNELS = [64, 128, 128]
GROUPS = 8
HEADS = 4
ATTENTION_LEVELS = [1]  # attentionResolutions [16]: the 16x16 level
NUM_CLASSES = 10
LABEL_DROPOUT = 0.1
T = 1000
BETA_START, BETA_END = 1e-4, 0.02
LR = 2e-4
BATCH = 64
EMA_DECAY = 0.999
GUIDANCE = 2.0
SAMPLE_STEPS = 50




def to_signed(u8):
    """uint8 pixels -> float32 in [-1, 1], as genmodels (p / 127.5 - 1 in float64, then float32)."""
    return (u8.astype(np.float64) / 127.5 - 1.0).astype(np.float32)


class Schedule:
    """The linear schedule in float64, computed as schedule.ts does."""

    def __init__(self, T=T, start=BETA_START, end=BETA_END):
        self.T = T
        self.betas = [start if T == 1 else start + ((end - start) * i) / (T - 1) for i in range(T)]
        self.alpha_bar = []
        p = 1.0
        for b in self.betas:
            p *= 1.0 - b
            self.alpha_bar.append(p)
        self.sqrt_ab = [math.sqrt(a) for a in self.alpha_bar]
        self.sqrt_1mab = [math.sqrt(1.0 - a) for a in self.alpha_bar]

    def coefficients(self, t):
        """a = sqrt(ab_t), s = sqrt(1 - ab_t) as float32 [B, 1, 1, 1] for int timesteps t [B]."""
        idx = t.tolist()
        a = torch.tensor([self.sqrt_ab[i] for i in idx], dtype=torch.float64).float().view(-1, 1, 1, 1)
        s = torch.tensor([self.sqrt_1mab[i] for i in idx], dtype=torch.float64).float().view(-1, 1, 1, 1)
        return a, s


def sampling_timesteps(T, steps):
    """steps timesteps round(i (T - 1) / (steps - 1)), decreasing (JavaScript's Math.round)."""
    if steps == 1:
        return [T - 1]
    return [math.floor((i * (T - 1)) / (steps - 1) + 0.5) for i in range(steps - 1, -1, -1)]


_FREQ = torch.tensor(
    [math.exp((-math.log(10000) * i) / (CHANNELS[0] // 2)) for i in range(CHANNELS[0] // 2)],
    dtype=torch.float64,
).float().view(1, -1)


def timestep_embedding(t):
    """t float32 [B] -> [B, 64] = [sin(t f), cos(t f)]."""
    args = t.view(-1, 1) * _FREQ
    return torch.cat([torch.sin(args), torch.cos(args)], 1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim):
        super().__init__()
        self.norm1 = nn.GroupNorm(GROUPS, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(tdim, cout)
        self.norm2 = nn.GroupNorm(GROUPS, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        if cin != cout:
            self.skip = nn.Conv2d(cin, cout, 1)
        else:
            self.skip = None

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(e)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class AttentionBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = nn.GroupNorm(GROUPS, c)
        self.attn = nn.MultiheadAttention(c, HEADS, batch_first=True)

    def forward(self, x):
        b, c, hh, ww = x.shape
        seq = self.norm(x).reshape(b, c, hh * ww).transpose(1, 2)
        out = self.attn(seq, seq, seq, need_weights=False)[0]
        return x + out.transpose(1, 2).reshape(b, c, hh, ww)


class Upsample2(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        ch, L = CHANNELS, len(CHANNELS)
        c0, td = ch[0], 4 * ch[0]
        self.time1 = nn.Linear(c0, td)
        self.time2 = nn.Linear(td, td)
        self.classEmbed = nn.Embedding(NUM_CLASSES + 1, td)
        self.convIn = nn.Conv2d(3, c0, 3, padding=1)
        self.down = nn.ModuleList([ResBlock(ch[l - 1] if l > 0 else c0, ch[l], td) for l in range(L)])
        self.downAttn = nn.ModuleDict({str(l): AttentionBlock(ch[l]) for l in ATTENTION_LEVELS})
        self.downsample = nn.ModuleList([nn.Conv2d(c, c, 3, stride=2, padding=1) for c in ch[:-1]])
        self.mid1 = ResBlock(ch[-1], ch[-1], td)
        self.midAttn = AttentionBlock(ch[-1])
        self.mid2 = ResBlock(ch[-1], ch[-1], td)
        levels = [L - 1 - i for i in range(L)]
        self.up = nn.ModuleList([ResBlock(ch[min(l + 1, L - 1)] + ch[l], ch[l], td) for l in levels])
        self.upAttn = nn.ModuleDict({str(l): AttentionBlock(ch[l]) for l in reversed(ATTENTION_LEVELS)})
        self.upsample = nn.ModuleList([Upsample2(ch[l]) for l in levels[:-1]])
        self.normOut = nn.GroupNorm(GROUPS, c0)
        self.convOut = nn.Conv2d(c0, 3, 3, padding=1)

    def forward(self, x, t, y):
        emb = self.time2(F.silu(self.time1(timestep_embedding(t))))
        e = F.silu(emb + self.classEmbed(y))
        L = len(self.down)
        h = self.convIn(x)
        skips = []
        for l in range(L):
            h = self.down[l](h, e)
            if str(l) in self.downAttn:
                h = self.downAttn[str(l)](h)
            skips.append(h)
            if l < L - 1:
                h = self.downsample[l](h)
        h = self.mid2(self.midAttn(self.mid1(h, e)), e)
        for i in range(L):
            l = L - 1 - i
            h = self.up[i](torch.cat([h, skips[l]], 1), e)
            if str(l) in self.upAttn:
                h = self.upAttn[str(l)](h)
            if i < L - 1:
                h = self.upsample[i](h)
        return self.convOut(F.silu(self.normOut(h)))


class DiffusionNetwork(nn.Module):
    """genmodels' DiffusionNetwork: the only child `denoiser` (keys `denoiser.*`)."""

    def __init__(self):
        super().__init__()
        self.denoiser = UNet()

    def forward(self, x, t, y):
        return self.denoiser(x, t, y)


def diffusion_loss(net, x0, noise, t, a, s, y):
    """steps.ts: x_t = a x0 + s noise; MSE(eps_theta(x_t, t, y), noise)."""
    xt = a * x0 + s * noise
    return F.mse_loss(net(xt, t.float(), y), noise)


def ema_decay_at(k):
    return min(EMA_DECAY, (1 + k) / (10 + k))


def ema_update(ema, net, decay):
    """ema <- decay ema + (1 - decay) p per value, in float64 then float32 (as emaUpdate)."""
    with torch.no_grad():
        for k, v in net.named_parameters():
            ema[k].copy_((decay * ema[k].double() + (1 - decay) * v.detach().double()).float())


@torch.no_grad()
def sample(net, schedule, x_t, labels, steps=SAMPLE_STEPS, guidance=GUIDANCE, sampler="ddim", eta=0.0,
           clip=True, gen=None, chunk=250, on_step=None):
    """sampler.ts's runSampler over Diffusion.sampleFlat's guided denoiser.

    x_t: float32 [n, 3, 32, 32] starting noise; labels: int64 [n]. Per-step noise (DDPM, or DDIM
    with eta > 0) from `gen`; on_step(i, t, x) after each step. Returns float32 [n, 3, 32, 32].
    """
    taus = sampling_timesteps(schedule.T, steps)
    ab = schedule.alpha_bar
    x = x_t.clone().float()
    n = x.shape[0]
    null = torch.full_like(labels, NUM_CLASSES)

    def denoise(xs, t):
        outs = []
        for i in range(0, n, chunk):
            xc, yc = xs[i:i + chunk], labels[i:i + chunk]
            m = xc.shape[0]
            if guidance > 0:
                o = net(torch.cat([xc, xc]), torch.full((2 * m,), float(t)), torch.cat([yc, null[i:i + chunk]]))
                o = ((1 + guidance) * o[:m].double() - guidance * o[m:].double()).float()
            else:
                o = net(xc, torch.full((m,), float(t)), yc)
            outs.append(o)
        return torch.cat(outs)

    for i, t in enumerate(taus):
        s = taus[i + 1] if i + 1 < len(taus) else -1
        out = denoise(x, t).double()
        ab_t, ab_s = ab[t], (ab[s] if s >= 0 else 1.0)
        sa, so = math.sqrt(ab_t), math.sqrt(1 - ab_t)
        last = s < 0
        if sampler == "ddpm":
            beta = 1 - ab_t / ab_s
            c0 = (math.sqrt(ab_s) * beta) / (1 - ab_t)
            ce = (math.sqrt(1 - beta) * (1 - ab_s)) / (1 - ab_t)
            sigma = 0.0 if last else math.sqrt((beta * (1 - ab_s)) / (1 - ab_t))
        else:
            sigma = 0.0 if last else eta * math.sqrt((1 - ab_s) / (1 - ab_t)) * math.sqrt(max(0.0, 1 - ab_t / ab_s))
            c0 = math.sqrt(ab_s)
            ce = math.sqrt(max(0.0, 1 - ab_s - sigma * sigma))
        xt = x.double()
        x0 = (xt - so * out) / sa
        if clip:
            x0 = x0.clamp(-1.0, 1.0)
        nxt = c0 * x0 + ce * xt if sampler == "ddpm" else c0 * x0 + ce * ((xt - sa * x0) / so)
        if sigma > 0:
            nxt = nxt + sigma * torch.randn(x.shape, generator=gen).double()
        x = nxt.float()
        if on_step is not None:
            on_step(i + 1, t, x)
    return x


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--steps", type=int, default=15620, help="optimizer steps (15620 = the preset's 20 epochs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--samples", type=int, default=1000, help="samples to draw (evaluate() draws 1,000)")
    p.add_argument("--sample-steps", type=int, default=SAMPLE_STEPS)
    p.add_argument("--out", required=True, help="samples .npy (float32 [n, 3, 32, 32] in [-1, 1])")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    emit(model="diffusion_cifar_unet", phase="env", torch=torch.__version__, threads=torch.get_num_threads(),
         openblas_coretype=os.environ.get("OPENBLAS_CORETYPE"), seed=a.seed)
    images, labels = read_cifar_bin(a.data, [f"data_batch_{i}.bin" for i in range(1, 6)])
    x_train = torch.from_numpy(to_signed(images))
    y_train = torch.from_numpy(labels)
    net = DiffusionNetwork()
    net.train()
    emit(phase="params", denoiser=sum(t.numel() for t in net.parameters()))
    ema = {k: v.detach().clone() for k, v in net.named_parameters()}
    opt = torch.optim.Adam(net.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-8)
    schedule = Schedule()
    gen = torch.Generator().manual_seed(a.seed + 1)
    n = x_train.shape[0]
    perm, cursor, epoch = torch.randperm(n, generator=gen), 0, 0
    total, count = 0.0, 0
    t0 = time.perf_counter()
    for it in range(1, a.steps + 1):
        if cursor + BATCH > n:
            perm, cursor, epoch = torch.randperm(n, generator=gen), 0, epoch + 1
        rows = perm[cursor:cursor + BATCH]
        cursor += BATCH
        x0 = x_train[rows]
        t = torch.randint(0, T, (BATCH,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        drop = torch.rand(BATCH, generator=gen)
        y = torch.where(drop < LABEL_DROPOUT, torch.full_like(y_train[rows], NUM_CLASSES), y_train[rows])
        ca, cs = schedule.coefficients(t)
        loss = diffusion_loss(net, x0, noise, t, ca, cs, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema_update(ema, net, ema_decay_at(it))
        total += loss.item()
        count += 1
        if it % 100 == 0 or it == a.steps:
            emit(phase="train", step=it, epoch=epoch, loss=total / count, seconds=time.perf_counter() - t0)
            total, count = 0.0, 0
    train_s = time.perf_counter() - t0
    sampler = DiffusionNetwork()
    sampler.load_state_dict(ema, strict=True)
    sampler.eval()
    sgen = torch.Generator().manual_seed(a.seed + 1000)
    x_t = torch.randn((a.samples, 3, 32, 32), generator=sgen)
    ys = torch.arange(a.samples) % NUM_CLASSES
    t1 = time.perf_counter()
    out = sample(sampler, schedule, x_t, ys, steps=a.sample_steps).numpy().astype(np.float32)
    tmp = a.out + ".tmp.npy"
    np.save(tmp, out)
    os.replace(tmp, a.out)
    emit(phase="samples", n=a.samples, path=a.out, train_seconds=train_s, sample_seconds=time.perf_counter() - t1,
         steps=a.steps, sampler="ddim", sample_steps=a.sample_steps, eta=0, guidance=GUIDANCE, weights="ema")


if __name__ == "__main__":
    main()
