#!/usr/bin/python3
"""Generate the LoRA step-parity fixtures read by src/nn/lora-parity.test.ts.

Run with a Python that has PyTorch (Debian's 1.13 lives at /usr/bin/python3; PEFT is not
needed: LoRA is written out below exactly as PEFT's LoraLayer defines it):

    /usr/bin/python3 packages/runtime/scripts/lora_parity.py

For each case it builds a small seeded float32 model, wraps the target layers with LoRA
(r, alpha, dropout 0; A kaiming_uniform_(a=sqrt(5)), B zeros as PEFT initializes them;
base weights and biases frozen, bias='none'), and takes STEPS torch.optim.Adam steps on
the adapters only with an MSE loss on fixed data. It saves, under src/nn/fixtures/<case>.json:

  state_dict   base weights (PyTorch keys) and initial adapters (`<weight key>.lora_A/B`)
  inputs       x, y
  lr, rank, alpha
  steps        per step: the loss before the update and the adapters after it, from the
               float32 run and from a float64 run of the same model (the exact reference)

Tensors are {"dtype", "shape", "data"} as in make_parity_fixtures.py. CI has no Python:
the JSON files are committed.
"""

import base64
import copy
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "nn", "fixtures")
STEPS = 3
LR = 1e-2


def enc(t):
    t = t.detach().contiguous().cpu()
    dtype, fmt = ("float64", "<f8") if t.dtype == torch.float64 else ("float32", "<f4")
    data = t.numpy().astype(fmt).tobytes()
    return {"dtype": dtype, "shape": list(t.shape), "data": base64.b64encode(data).decode("ascii")}


class LoraLinear(nn.Module):
    """PEFT's lora.Linear: base(x) + lora_B(lora_A(dropout(x))) * alpha / r."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        self.scaling = alpha / r
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scaling


class LoraConv2d(nn.Module):
    """PEFT's lora.Conv2d: lora_A a Conv2d(C, r, k, stride, padding), lora_B a 1x1 Conv2d(r, O)."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Conv2d(base.in_channels, r, base.kernel_size, base.stride, base.padding, bias=False)
        self.lora_B = nn.Conv2d(r, base.out_channels, (1, 1), (1, 1), bias=False)
        self.scaling = alpha / r
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scaling


class ConvMlp(nn.Module):
    """conv (3->4, 3x3, stride 2, padding 1) -> relu -> flatten -> fc1 (36->16) -> tanh -> fc2 (16->5)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.fc1 = nn.Linear(36, 16)
        self.fc2 = nn.Linear(16, 5)

    def forward(self, x):
        h = torch.relu(self.conv(x)).flatten(1)
        return self.fc2(torch.tanh(self.fc1(h)))


class Attention(nn.Module):
    """nn.MultiheadAttention(8, 2, batch_first=True) self-attention, written out so the fused
    in_proj can carry PEFT's activation-path LoRA (GPT-2's c_attn)."""

    def __init__(self, E=8, H=2):
        super().__init__()
        ref = nn.MultiheadAttention(E, H, batch_first=True)
        self.E, self.H = E, H
        self.in_proj = nn.Linear(E, 3 * E)
        self.out_proj = nn.Linear(E, E)
        with torch.no_grad():
            self.in_proj.weight.copy_(ref.in_proj_weight)
            self.in_proj.bias.copy_(ref.in_proj_bias)
            self.out_proj.weight.copy_(ref.out_proj.weight)
            self.out_proj.bias.copy_(ref.out_proj.bias)

    def forward(self, x):
        B, T, E = x.shape
        q, k, v = self.in_proj(x).split(E, dim=-1)
        heads = lambda t: t.reshape(B, T, self.H, E // self.H).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(E // self.H), dim=-1)
        return self.out_proj((att @ v).transpose(1, 2).reshape(B, T, E))


def randomize(model, scale=0.3):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * scale)


def train(model, targets, x, y, r, alpha, init=None):
    """Wrap `targets` (attribute -> our weight key) with LoRA (initial adapters `init` if given),
    take STEPS Adam steps; return the initial adapters and (loss, adapters) per step."""
    lora = {}
    for attr, key in targets.items():
        layer = getattr(model, attr)
        wrapped = (LoraConv2d if isinstance(layer, nn.Conv2d) else LoraLinear)(layer, r, alpha)
        setattr(model, attr, wrapped)
        lora[key] = wrapped
    model.to(x.dtype)
    for p in model.parameters():
        p.requires_grad_(False)
    adapters = lambda: {
        f"{key}.{ab}": getattr(m, ab).weight for key, m in lora.items() for ab in ("lora_A", "lora_B")
    }
    params = list(adapters().values())
    for p in params:
        p.requires_grad_(True)
    if init is not None:
        with torch.no_grad():
            for k, p in adapters().items():
                p.copy_(init[k])
    initial = {k: v.detach().clone() for k, v in adapters().items()}
    opt = torch.optim.Adam(params, lr=LR)
    steps = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        steps.append((loss.item(), {k: v.detach().clone() for k, v in adapters().items()}))
    return initial, steps


def run_case(name, model, keys, targets, x, y, r, alpha):
    """`keys`: our state-dict key of each parameter; `targets`: attribute name -> our weight key.
    The float64 run (same init and data) is the exact reference the float32 runs are judged by."""
    randomize(model)
    model64 = copy.deepcopy(model).double()
    base = {keys[k]: v.clone() for k, v in model.state_dict().items()}
    initial, steps = train(model, targets, x, y, r, alpha)
    _, steps64 = train(model64, targets, x.double(), y.double(), r, alpha, {k: v.double() for k, v in initial.items()})
    fixture = {
        "case": name,
        "rank": r,
        "alpha": alpha,
        "lr": LR,
        "state_dict": {**{k: enc(v) for k, v in base.items()}, **{k: enc(v) for k, v in initial.items()}},
        "inputs": {"x": enc(x), "y": enc(y)},
        "steps": [
            {
                "loss": loss,
                "adapters": {k: enc(v) for k, v in ad.items()},
                "adapters_float64": {k: enc(v) for k, v in ad64.items()},
            }
            for (loss, ad), (_, ad64) in zip(steps, steps64)
        ],
    }
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


def main():
    torch.manual_seed(0)
    model = ConvMlp()
    ident = {k: k for k in model.state_dict()}
    x, y = torch.randn(2, 3, 6, 6), torch.randn(2, 5)
    targets = {"conv": "conv.weight", "fc1": "fc1.weight", "fc2": "fc2.weight"}
    run_case("lora_conv_mlp", model, ident, targets, x, y, r=2, alpha=4)

    torch.manual_seed(1)
    model = Attention()
    keys = {
        "in_proj.weight": "in_proj_weight",
        "in_proj.bias": "in_proj_bias",
        "out_proj.weight": "out_proj.weight",
        "out_proj.bias": "out_proj.bias",
    }
    x, y = torch.randn(2, 4, 8), torch.randn(2, 4, 8)
    targets = {"in_proj": "in_proj_weight", "out_proj": "out_proj.weight"}
    run_case("lora_attention", model, keys, targets, x, y, r=3, alpha=6)


if __name__ == "__main__":
    main()
