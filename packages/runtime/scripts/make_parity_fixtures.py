#!/usr/bin/python3
"""Generate the PyTorch parity fixtures read by src/nn/parity.test.ts and the layer tests.

Run with a Python that has PyTorch (Debian's 1.13 lives at /usr/bin/python3):

    /usr/bin/python3 packages/runtime/scripts/make_parity_fixtures.py

For each case it builds a small seeded float32 module, runs it on seeded inputs and
saves, under src/nn/fixtures/<case>.json:

  state_dict   the module's tensors before the forward (PyTorch keys and order)
  inputs       the forward's inputs
  outputs      the forward's outputs (and BatchNorm's buffers after the forward)
  cotangents   a fixed random tensor u per output
  grads        d sum(output * u) / d(input or parameter), keys 'input:<name>' and
               'param:<state_dict key>' (for 'mlp', the gradient of the scalar loss)

It also writes state_dict_keys.json: the state_dict keys, shapes and dtypes of the
default-initialized modules the layer tests compare against.

Tensors are {"dtype", "shape", "data"} with data as base64 of little-endian bytes, so
the fixtures are exact and small. CI has no Python: the JSON files are committed.
"""

import base64
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "nn", "fixtures")


def enc(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.float32:
        dtype = "float32"
    elif t.dtype == torch.int64:
        dtype = "int64"
    elif t.dtype == torch.bool:
        dtype = "bool"
        t = t.to(torch.uint8)
    else:
        raise TypeError(f"unsupported dtype {t.dtype}")
    data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
    return {"dtype": dtype, "shape": list(t.shape), "data": base64.b64encode(data).decode("ascii")}


def randomize(module, scale=0.5):
    """Overwrite every float parameter and buffer with seeded noise (ones/zeros init would hide bugs)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn_like(p) * scale)
        for name, b in module.named_buffers():
            if name.endswith("running_var"):
                b.copy_(torch.rand_like(b) + 0.5)
            elif b.dtype == torch.float32:
                b.copy_(torch.randn_like(b) * scale)


def run_case(name, module, config, inputs, forward, loss=None, extra=None):
    """Forward `forward(module, **inputs)` -> dict of outputs; grads of sum(out * u) or of `loss`."""
    state = {k: enc(v) for k, v in module.state_dict().items()}
    leaf = {
        k: (v.clone().requires_grad_(True) if v.dtype == torch.float32 else v)
        for k, v in inputs.items()
    }
    outputs = forward(module, **leaf)
    cot = {}
    if loss is None:
        total = 0
        for k, y in outputs.items():
            cot[k] = torch.randn_like(y)
            total = total + (y * cot[k]).sum()
    else:
        total = outputs[loss]
    wrt = {f"input:{k}": v for k, v in leaf.items() if v.dtype == torch.float32}
    wrt.update({f"param:{k}": p for k, p in module.named_parameters()})
    grads = torch.autograd.grad(total, list(wrt.values()))
    fixture = {
        "case": name,
        "torch": torch.__version__,
        "module": type(module).__name__,
        "config": config,
        "training": module.training,
        "state_dict": state,
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "outputs": {k: enc(v) for k, v in outputs.items()},
        "cotangents": {k: enc(v) for k, v in cot.items()},
        "grads": {k: enc(g) for k, g in zip(wrt.keys(), grads)},
    }
    if extra:
        fixture.update(extra(module))
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(fixture, f, indent=1, sort_keys=False)
        f.write("\n")
    return module


def single(m, x):
    return {"y": m(x)}


def buffers_after(m):
    return {"buffers_after": {k: enc(v) for k, v in m.named_buffers()}}


def causal_mask(t):
    return torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)


def cases():
    run_case(
        "linear",
        nn.Linear(5, 4),
        {"inFeatures": 5, "outFeatures": 4},
        {"x": torch.randn(3, 5)},
        single,
    )
    run_case(
        "conv2d",
        nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2),
        {"inChannels": 4, "outChannels": 6, "kernelSize": 3, "stride": 2, "padding": 1, "groups": 2},
        {"x": torch.randn(2, 4, 7, 7)},
        single,
    )
    run_case(
        "conv2d_dilated",
        nn.Conv2d(3, 2, (3, 2), stride=(1, 2), padding=(2, 1), dilation=2, bias=False),
        {
            "inChannels": 3,
            "outChannels": 2,
            "kernelSize": [3, 2],
            "stride": [1, 2],
            "padding": [2, 1],
            "dilation": 2,
            "bias": False,
        },
        {"x": torch.randn(1, 3, 6, 7)},
        single,
    )
    run_case(
        "conv_transpose2d",
        nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
        {
            "inChannels": 4,
            "outChannels": 6,
            "kernelSize": 3,
            "stride": 2,
            "padding": 1,
            "outputPadding": 1,
            "groups": 2,
        },
        {"x": torch.randn(2, 4, 4, 4)},
        single,
    )
    ln = nn.LayerNorm([3, 5])
    randomize(ln)
    run_case("layer_norm", ln, {"normalizedShape": [3, 5]}, {"x": torch.randn(2, 3, 5) * 2 + 1}, single)
    gn = nn.GroupNorm(2, 6)
    randomize(gn)
    run_case("group_norm", gn, {"numGroups": 2, "numChannels": 6}, {"x": torch.randn(2, 6, 3, 3) + 0.5}, single)

    bn = nn.BatchNorm2d(3)
    randomize(bn)
    bn.train()
    run_case(
        "batch_norm2d_train",
        bn,
        {"numFeatures": 3},
        {"x": torch.randn(4, 3, 3, 3) * 1.5 + 0.3},
        single,
        extra=buffers_after,
    )
    bn.eval()  # the state after the train forward: updated running stats, num_batches_tracked 1
    run_case("batch_norm2d_eval", bn, {"numFeatures": 3}, {"x": torch.randn(2, 3, 3, 3)}, single)
    bn1 = nn.BatchNorm1d(4, momentum=None)
    randomize(bn1)
    run_case(
        "batch_norm1d_cumulative",
        bn1,
        {"numFeatures": 4, "momentum": None},
        {"x": torch.randn(5, 4) - 0.5},
        single,
        extra=buffers_after,
    )

    run_case(
        "embedding",
        nn.Embedding(10, 4, padding_idx=0),
        {"numEmbeddings": 10, "embeddingDim": 4, "paddingIdx": 0},
        {"ids": torch.tensor([[1, 0, 3, 3, 9], [0, 2, 7, 1, 0]], dtype=torch.int64)},
        lambda m, ids: {"y": m(ids)},
    )

    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    randomize(mha)
    run_case(
        "mha_causal",
        mha,
        {"embedDim": 8, "numHeads": 2, "causal": True},
        {"x": torch.randn(2, 5, 8)},
        lambda m, x: {"y": m(x, x, x, attn_mask=causal_mask(x.shape[1]), need_weights=False)[0]},
    )
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    randomize(mha)
    pad = torch.tensor([[False] * 5, [False, False, False, True, True]])
    run_case(
        "mha_padding",
        mha,
        {"embedDim": 8, "numHeads": 2},
        {"x": torch.randn(2, 5, 8), "keyPaddingMask": pad},
        lambda m, x, keyPaddingMask: {
            "y": m(x, x, x, key_padding_mask=keyPaddingMask, need_weights=False)[0]
        },
    )
    mha = nn.MultiheadAttention(8, 2, kdim=6, vdim=5, batch_first=True)
    randomize(mha)
    run_case(
        "mha_cross",
        mha,
        {"embedDim": 8, "numHeads": 2, "kdim": 6, "vdim": 5},
        {"query": torch.randn(2, 3, 8), "key": torch.randn(2, 4, 6), "value": torch.randn(2, 4, 5)},
        lambda m, query, key, value: {"y": m(query, key, value, need_weights=False)[0]},
    )

    mlp = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    run_case(
        "mlp",
        mlp,
        {"sizes": [4, 8, 3]},
        {"x": torch.randn(6, 4), "target": torch.tensor([0, 2, 1, 1, 0, 2])},
        lambda m, x, target: {"logits": (logits := m(x)), "loss": F.cross_entropy(logits, target)},
        loss="loss",
    )


def key_list(m):
    return [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in m.state_dict().items()]


def state_dict_keys():
    """state_dict layouts of default modules, keyed by the genmodels constructor call the tests use."""
    mods = {
        "Conv2d(4, 6, 3, { groups: 2 })": nn.Conv2d(4, 6, 3, groups=2),
        "Conv2d(3, 8, [3, 5], { bias: false })": nn.Conv2d(3, 8, (3, 5), bias=False),
        "ConvTranspose2d(4, 6, 3, { groups: 2 })": nn.ConvTranspose2d(4, 6, 3, groups=2),
        "ConvTranspose2d(6, 3, [2, 4], { bias: false })": nn.ConvTranspose2d(6, 3, (2, 4), bias=False),
        "Embedding(10, 4)": nn.Embedding(10, 4),
        "LayerNorm([3, 5])": nn.LayerNorm([3, 5]),
        "LayerNorm(7, { elementwiseAffine: false })": nn.LayerNorm(7, elementwise_affine=False),
        "GroupNorm(2, 6)": nn.GroupNorm(2, 6),
        "GroupNorm(3, 6, { affine: false })": nn.GroupNorm(3, 6, affine=False),
        "BatchNorm1d(4)": nn.BatchNorm1d(4),
        "BatchNorm2d(3)": nn.BatchNorm2d(3),
        "BatchNorm2d(3, { affine: false })": nn.BatchNorm2d(3, affine=False),
        "BatchNorm2d(3, { trackRunningStats: false })": nn.BatchNorm2d(3, track_running_stats=False),
        "MultiheadAttention(8, 2)": nn.MultiheadAttention(8, 2, batch_first=True),
        "MultiheadAttention(8, 2, { bias: false })": nn.MultiheadAttention(8, 2, bias=False, batch_first=True),
        "MultiheadAttention(8, 2, { kdim: 6, vdim: 5 })": nn.MultiheadAttention(8, 2, kdim=6, vdim=5, batch_first=True),
        "Sequential(Linear(4, 8), ReLU(), Linear(8, 3))": nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)),
        "Sequential(Conv2d(1, 4, 3), BatchNorm2d(4), ReLU(), Flatten(), Dropout(0.1))": nn.Sequential(
            nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Dropout(0.1)
        ),
        "ModuleList([Linear(2, 3), Linear(3, 1)])": nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 1)]),
    }
    with open(os.path.join(OUT, "state_dict_keys.json"), "w") as f:
        json.dump({"torch": torch.__version__, "modules": {k: key_list(m) for k, m in mods.items()}}, f, indent=1)
        f.write("\n")


def main():
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)
    os.makedirs(OUT, exist_ok=True)
    cases()
    state_dict_keys()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} fixture files ({total / 1024:.1f} KiB) to {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
