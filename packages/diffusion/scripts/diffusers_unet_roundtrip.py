"""A small diffusers `UNet2DModel` in PyTorch, written out here (no `diffusers`, no download), to
check that genmodels reads and writes diffusers U-Net checkpoints in both directions.

Runs with Debian's python3-torch (torch 1.13, no `safetensors` module: the format is read and
written by hand below). The module tree and state_dict keys are UNet2DModel's, as diffusers
(0.2x) builds it for the subset genmodels supports:

  conv_in; time_proj (sinusoidal, flip_sin_to_cos, freq_shift; no parameters);
  time_embedding.linear_1 / linear_2 (SiLU between); class_embedding (num_class_embeds);
  down_blocks.{i}: DownBlock2D / AttnDownBlock2D with resnets.{j} (layers_per_block),
    attentions.{j} (Attn only) and downsamplers.0.conv (a stride-2 3x3 conv, padding 1) but for
    the last block;
  mid_block: UNetMidBlock2D, resnets.0, attentions.0 (when add_attention), resnets.1;
  up_blocks.{i}: UpBlock2D / AttnUpBlock2D with layers_per_block + 1 resnets over the
    concatenation with the down path's outputs, and upsamplers.0.conv (nearest 2x + 3x3 conv)
    but for the last block;
  conv_norm_out, SiLU, conv_out.

A ResnetBlock2D is GroupNorm(norm_num_groups, eps=norm_eps) -> SiLU -> conv1, + time_emb_proj(SiLU(emb)),
GroupNorm -> SiLU -> conv2, + x (through conv_shortcut, a 1x1 conv, when the channels change);
time_embedding_norm 'default', output_scale_factor 1. An attention block is
group_norm -> to_q / to_k / to_v (heads = channels / attention_head_dim) -> softmax(q k^T /
sqrt(head dim)) v -> to_out.0, + x (residual_connection, rescale 1).

    /usr/bin/python3 packages/diffusion/scripts/diffusers_unet_roundtrip.py make-fixture
        writes src/fixtures/diffusers_tiny/: block_out_channels [8, 16], layers_per_block 1,
        1x16x16 images, attention in the second down / first up block and the middle, 3 class
        embeddings, trained 50 Adam steps of noise prediction on synthetic shapes
        (diffusion_pytorch_model.safetensors, config.json, and outputs.safetensors: fixed
        x, t, y and PyTorch's output for them)
    /usr/bin/python3 packages/diffusion/scripts/diffusers_unet_roundtrip.py make --out DIR \\
        [--channels 32,64,64] [--layers-per-block 2] [--size 32] [--image-channels 1] \\
        [--attn 0,1,1] [--classes 0] [--steps 200]
        the same files for a larger model
    /usr/bin/python3 packages/diffusion/scripts/diffusers_unet_roundtrip.py check --model DIR \\
        --expect FILE [--tol 1e-4]
        loads DIR/diffusion_pytorch_model.safetensors into the module with
        load_state_dict(strict=True), computes the output for FILE's x, t (and y) and prints the
        largest difference from FILE's `out`; fails above --tol
"""
import argparse
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.normpath(os.path.join(HERE, '..', 'src', 'fixtures', 'diffusers_tiny'))
MODEL_FILE = 'diffusion_pytorch_model.safetensors'

# ---------------------------------------------------------------------------------------------
# safetensors: u64 little-endian header size, the JSON header, then the raw little-endian data.

CODES = {torch.float32: 'F32', torch.int64: 'I64'}
TYPES = {'F32': torch.float32, 'I64': torch.int64, 'F16': torch.float16}


def save_st(path, tensors, metadata=None):
    header = {'__metadata__': metadata} if metadata else {}
    chunks, at = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': CODES[t.dtype], 'shape': list(t.shape), 'data_offsets': [at, at + len(raw)]}
        chunks.append(raw)
        at += len(raw)
    head = json.dumps(header, separators=(',', ':')).encode()
    head += b' ' * (-len(head) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(head)))
        f.write(head)
        for c in chunks:
            f.write(c)


def load_st(path):
    with open(path, 'rb') as f:
        raw = f.read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop('__metadata__', None)
    body = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if info['dtype'] not in TYPES:
            raise SystemExit(f'{path}: {name} has dtype {info["dtype"]}; this script reads {", ".join(TYPES)}')
        b, e = info['data_offsets']
        dtype = TYPES[info['dtype']]
        t = torch.frombuffer(bytearray(body[b:e]), dtype=dtype) if e > b else torch.empty(0, dtype=dtype)
        if sys.byteorder == 'big':
            t = t.byteswap()
        out[name] = t.reshape(info['shape']).clone()
        if dtype == torch.float16:
            out[name] = out[name].float()
    return out


# ---------------------------------------------------------------------------------------------
# UNet2DModel's modules (the subset: positional time embedding, conv down/upsampling).

def timestep_features(t, dim, flip_sin_to_cos, freq_shift, max_period=10000):
    """diffusers' get_timestep_embedding: exp(-ln(max_period) i / (half - shift)), [sin | cos] (flipped: [cos | sin])."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / (half - freq_shift))
    args = t.float()[:, None] * freqs[None, :]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    return emb


class TimestepEmbedding(nn.Module):
    def __init__(self, cin, dim):
        super().__init__()
        self.linear_1 = nn.Linear(cin, dim)
        self.act = nn.SiLU()
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(self.act(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    def __init__(self, cin, cout, temb, groups, eps):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps)
        self.dropout = nn.Dropout(0.0)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.nonlinearity = nn.SiLU()
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(self.nonlinearity(self.norm1(x)))
        h = h + self.time_emb_proj(self.nonlinearity(emb))[:, :, None, None]
        h = self.conv2(self.dropout(self.nonlinearity(self.norm2(h))))
        skip = self.conv_shortcut(x) if self.conv_shortcut is not None else x
        return skip + h


class Attention(nn.Module):
    """diffusers' Attention as UNet2DModel's blocks build it: group_norm, biased q/k/v, residual."""

    def __init__(self, channels, head_dim, groups, eps):
        super().__init__()
        self.heads = channels // head_dim
        self.group_norm = nn.GroupNorm(groups, channels, eps=eps)
        self.to_q = nn.Linear(channels, channels)
        self.to_k = nn.Linear(channels, channels)
        self.to_v = nn.Linear(channels, channels)
        self.to_out = nn.ModuleList([nn.Linear(channels, channels), nn.Dropout(0.0)])

    def forward(self, x):
        b, c, h, w = x.shape
        s = self.group_norm(x.view(b, c, h * w)).transpose(1, 2)  # [B, HW, C]

        def heads(z):
            return z.view(b, h * w, self.heads, c // self.heads).transpose(1, 2)

        q, k, v = heads(self.to_q(s)), heads(self.to_k(s)), heads(self.to_v(s))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(c // self.heads), dim=-1) @ v
        out = self.to_out[1](self.to_out[0](a.transpose(1, 2).reshape(b, h * w, c)))
        return out.transpose(1, 2).reshape(b, c, h, w) + x


class Downsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode='nearest'))


class DownBlock(nn.Module):
    """DownBlock2D (attn False) or AttnDownBlock2D (attn True)."""

    def __init__(self, cin, cout, n, temb, attn, downsample, cfg):
        super().__init__()
        g, eps, hd = cfg['norm_num_groups'], cfg['norm_eps'], cfg['attention_head_dim']
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if j == 0 else cout, cout, temb, g, eps) for j in range(n)])
        if attn:
            self.attentions = nn.ModuleList([Attention(cout, hd, g, eps) for _ in range(n)])
        if downsample:
            self.downsamplers = nn.ModuleList([Downsample2D(cout)])

    def forward(self, x, emb):
        outs = []
        for j, resnet in enumerate(self.resnets):
            x = resnet(x, emb)
            if hasattr(self, 'attentions'):
                x = self.attentions[j](x)
            outs.append(x)
        if hasattr(self, 'downsamplers'):
            x = self.downsamplers[0](x)
            outs.append(x)
        return x, outs


class UpBlock(nn.Module):
    """UpBlock2D (attn False) or AttnUpBlock2D (attn True): n resnets over [x, skip]."""

    def __init__(self, cin, cprev, cout, n, temb, attn, upsample, cfg):
        super().__init__()
        g, eps, hd = cfg['norm_num_groups'], cfg['norm_eps'], cfg['attention_head_dim']
        self.resnets = nn.ModuleList([
            ResnetBlock2D((cprev if j == 0 else cout) + (cin if j == n - 1 else cout), cout, temb, g, eps)
            for j in range(n)])
        if attn:
            self.attentions = nn.ModuleList([Attention(cout, hd, g, eps) for _ in range(n)])
        if upsample:
            self.upsamplers = nn.ModuleList([Upsample2D(cout)])

    def forward(self, x, skips, emb):
        for j, resnet in enumerate(self.resnets):
            x = resnet(torch.cat([x, skips.pop()], dim=1), emb)
            if hasattr(self, 'attentions'):
                x = self.attentions[j](x)
        if hasattr(self, 'upsamplers'):
            x = self.upsamplers[0](x)
        return x


class MidBlock(nn.Module):
    def __init__(self, c, temb, cfg):
        super().__init__()
        g, eps, hd = cfg['norm_num_groups'], cfg['norm_eps'], cfg['attention_head_dim']
        self.resnets = nn.ModuleList([ResnetBlock2D(c, c, temb, g, eps) for _ in range(2)])
        if cfg['add_attention']:
            self.attentions = nn.ModuleList([Attention(c, hd, g, eps)])

    def forward(self, x, emb):
        x = self.resnets[0](x, emb)
        if hasattr(self, 'attentions'):
            x = self.attentions[0](x)
        return self.resnets[1](x, emb)


class UNet2DModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        ch = cfg['block_out_channels']
        n = cfg['layers_per_block']
        temb = 4 * ch[0]
        self.conv_in = nn.Conv2d(cfg['in_channels'], ch[0], 3, padding=1)
        self.time_embedding = TimestepEmbedding(ch[0], temb)
        if cfg.get('num_class_embeds'):
            self.class_embedding = nn.Embedding(cfg['num_class_embeds'], temb)
        self.down_blocks = nn.ModuleList()
        cout = ch[0]
        for i, kind in enumerate(cfg['down_block_types']):
            cin, cout = cout, ch[i]
            self.down_blocks.append(DownBlock(cin, cout, n, temb, kind == 'AttnDownBlock2D', i < len(ch) - 1, cfg))
        self.mid_block = MidBlock(ch[-1], temb, cfg)
        rev = list(reversed(ch))
        self.up_blocks = nn.ModuleList()
        cout = rev[0]
        for i, kind in enumerate(cfg['up_block_types']):
            cprev, cout, cin = cout, rev[i], rev[min(i + 1, len(ch) - 1)]
            self.up_blocks.append(UpBlock(cin, cprev, cout, n + 1, temb, kind == 'AttnUpBlock2D', i < len(ch) - 1, cfg))
        self.conv_norm_out = nn.GroupNorm(cfg['norm_num_groups'], ch[0], eps=cfg['norm_eps'])
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(ch[0], cfg['out_channels'], 3, padding=1)

    def forward(self, x, t, y=None):
        cfg = self.cfg
        ch0 = cfg['block_out_channels'][0]
        emb = self.time_embedding(timestep_features(t, ch0, cfg['flip_sin_to_cos'], cfg['freq_shift']))
        if hasattr(self, 'class_embedding'):
            emb = emb + self.class_embedding(y)
        x = self.conv_in(x)
        skips = [x]
        for block in self.down_blocks:
            x, outs = block(x, emb)
            skips.extend(outs)
        x = self.mid_block(x, emb)
        for block in self.up_blocks:
            x = block(x, skips, emb)
        return self.conv_out(self.conv_act(self.conv_norm_out(x)))


def diffusers_config(channels, layers_per_block, size, image_channels, attn, classes, head_dim, groups):
    return {
        '_class_name': 'UNet2DModel',
        '_diffusers_version': '0.27.2',
        'sample_size': size,
        'in_channels': image_channels,
        'out_channels': image_channels,
        'center_input_sample': False,
        'time_embedding_type': 'positional',
        'freq_shift': 0,
        'flip_sin_to_cos': True,
        'down_block_types': ['AttnDownBlock2D' if a else 'DownBlock2D' for a in attn],
        'up_block_types': ['AttnUpBlock2D' if a else 'UpBlock2D' for a in reversed(attn)],
        'block_out_channels': channels,
        'layers_per_block': layers_per_block,
        'mid_block_scale_factor': 1,
        'downsample_padding': 1,
        'downsample_type': 'conv',
        'upsample_type': 'conv',
        'dropout': 0.0,
        'act_fn': 'silu',
        'attention_head_dim': head_dim,
        'norm_num_groups': groups,
        'attn_norm_num_groups': None,
        'norm_eps': 1e-5,
        'resnet_time_scale_shift': 'default',
        'add_attention': True,
        'class_embed_type': None,
        'num_class_embeds': classes or None,
        'num_train_timesteps': None,
    }


# ---------------------------------------------------------------------------------------------
# Training a little (so the weights are not their initialization) and the fixed inputs.

def shapes(n, c, size, classes, gen):
    """Synthetic images in [-1, 1]: class 0 a horizontal bar, 1 a vertical bar, 2 a square (cycled)."""
    y = torch.randint(0, max(classes, 3), (n,), generator=gen)
    x = -torch.ones(n, c, size, size)
    for i in range(n):
        a, b = torch.randint(1, size // 2, (2,), generator=gen).tolist()
        w = max(2, size // 4)
        kind = int(y[i]) % 3
        if kind == 0:
            x[i, :, a:a + w, :] = 1
        elif kind == 1:
            x[i, :, :, b:b + w] = 1
        else:
            x[i, :, a:a + 2 * w, b:b + 2 * w] = 1
    return x, (y % classes if classes else None)


def train(model, cfg, steps, lr=1e-3, batch=16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    betas = torch.linspace(1e-4, 0.02, 1000)
    abar = torch.cumprod(1 - betas, 0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    c, size, classes = cfg['in_channels'], cfg['sample_size'], cfg.get('num_class_embeds') or 0
    for step in range(steps):
        x0, y = shapes(batch, c, size, classes, gen)
        t = torch.randint(0, 1000, (batch,), generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        a = abar[t][:, None, None, None]
        loss = F.mse_loss(model(a.sqrt() * x0 + (1 - a).sqrt() * eps, t, y), eps)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 0 or step == steps - 1:
            print(f'step {step}: loss {loss.item():.4f}')


def fixed_inputs(cfg, n=4, seed=1):
    gen = torch.Generator().manual_seed(seed)
    c, size = cfg['in_channels'], cfg['sample_size']
    x = torch.randn(n, c, size, size, generator=gen)
    t = torch.tensor([0.0, 10.0, 500.0, 999.0][:n] + [123.0] * max(0, n - 4))
    inputs = {'x': x, 't': t}
    if cfg.get('num_class_embeds'):
        inputs['y'] = torch.arange(n, dtype=torch.int64) % cfg['num_class_embeds']
    return inputs


def run(model, inputs):
    with torch.no_grad():
        return model(inputs['x'], inputs['t'], inputs.get('y'))


def make(out, cfg, steps, seed=0):
    torch.manual_seed(seed)
    model = UNet2DModel(cfg)
    print(f'{sum(p.numel() for p in model.parameters())} parameters')
    train(model, cfg, steps, seed=seed)
    model.eval()
    os.makedirs(out, exist_ok=True)
    save_st(os.path.join(out, MODEL_FILE), model.state_dict(), {'format': 'pt'})
    with open(os.path.join(out, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
        f.write('\n')
    inputs = fixed_inputs(cfg)
    save_st(os.path.join(out, 'outputs.safetensors'), {**inputs, 'out': run(model, inputs)})
    print(f'wrote {out}')


def load_strict(directory):
    with open(os.path.join(directory, 'config.json')) as f:
        cfg = json.load(f)
    model = UNet2DModel(cfg)
    model.load_state_dict(load_st(os.path.join(directory, MODEL_FILE)), strict=True)
    return model.eval()


def check(args):
    model = load_strict(args.model)
    expect = load_st(args.expect)
    got = run(model, expect)
    diff = (got - expect['out']).abs().max().item()
    print(f'strict load of {args.model}: ok; max |PyTorch - expected| = {diff:.3e} over {list(got.shape)}')
    if not diff <= args.tol:
        raise SystemExit(f'difference {diff:.3e} is above the tolerance {args.tol}')


def ints(text):
    return [int(v) for v in text.split(',') if v != '']


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='mode', required=True)
    fx = sub.add_parser('make-fixture', help='the tiny fixture of src/fixtures/diffusers_tiny')
    fx.add_argument('--out', default=FIXTURE)
    mk = sub.add_parser('make', help='a model of a given size')
    mk.add_argument('--out', required=True)
    mk.add_argument('--channels', default='32,64,64')
    mk.add_argument('--layers-per-block', type=int, default=2)
    mk.add_argument('--size', type=int, default=32)
    mk.add_argument('--image-channels', type=int, default=1)
    mk.add_argument('--attn', default='0,1,1', help='attention per down block (1/0), mirrored on the way up')
    mk.add_argument('--classes', type=int, default=0, help='num_class_embeds (0: unconditional)')
    mk.add_argument('--head-dim', type=int, default=8)
    mk.add_argument('--groups', type=int, default=8)
    mk.add_argument('--steps', type=int, default=200)
    mk.add_argument('--seed', type=int, default=0)
    ck = sub.add_parser('check', help='strict load and outputs of a diffusers-named model directory')
    ck.add_argument('--model', required=True)
    ck.add_argument('--expect', required=True, help='a safetensors file of x, t, [y,] out')
    ck.add_argument('--tol', type=float, default=1e-4)
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.mode == 'make-fixture':
        make(args.out, diffusers_config([8, 16], 1, 16, 1, [0, 1], 3, 8, 4), 50)
    elif args.mode == 'make':
        channels, attn = ints(args.channels), [bool(a) for a in ints(args.attn)]
        if len(attn) != len(channels):
            raise SystemExit(f'--attn has {len(attn)} entries for {len(channels)} levels')
        cfg = diffusers_config(channels, args.layers_per_block, args.size, args.image_channels, attn,
                               args.classes, args.head_dim, args.groups)
        make(args.out, cfg, args.steps, args.seed)
    else:
        check(args)


if __name__ == '__main__':
    main()
