"""Writes src/gpt/fixtures/gpt_parity.json: a tiny GPT in PyTorch (the same module tree and
state_dict keys as GptNetwork, built on torch.nn.MultiheadAttention) with seeded random
weights, some token ids and the logits PyTorch computes for them.

    /usr/bin/python3 packages/transformer/scripts/gpt-parity.py   (Debian's python3-torch)
"""
import json
import os

import torch
from torch import nn


class Mlp(nn.Module):
    def __init__(self, e):
        super().__init__()
        self.c_fc = nn.Linear(e, 4 * e)
        self.act = nn.GELU()
        self.c_proj = nn.Linear(4 * e, e)

    def forward(self, x):
        return self.c_proj(self.act(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, e, h):
        super().__init__()
        self.ln_1 = nn.LayerNorm(e)
        self.attn = nn.MultiheadAttention(e, h, batch_first=True)
        self.ln_2 = nn.LayerNorm(e)
        self.mlp = Mlp(e)

    def forward(self, x):
        t = x.shape[1]
        future = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, attn_mask=future, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self, v, e, h, layers, block):
        super().__init__()
        self.wte = nn.Embedding(v, e)
        self.wpe = nn.Embedding(block, e)
        self.h = nn.ModuleList([Block(e, h) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(e)
        self.lm_head = nn.Linear(e, v, bias=False)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])
        x = self.wte(ids) + self.wpe(pos)
        for b in self.h:
            x = b(x)
        return self.lm_head(self.ln_f(x))


torch.manual_seed(0)
cfg = dict(vocabSize=6, nEmbd=8, nHead=2, nLayer=2, blockSize=8)
m = Gpt(cfg['vocabSize'], cfg['nEmbd'], cfg['nHead'], cfg['nLayer'], cfg['blockSize']).eval()
with torch.no_grad():
    for p in m.parameters():
        p.copy_(torch.randn_like(p) * 0.4)
ids = torch.randint(0, cfg['vocabSize'], (2, 5))
with torch.no_grad():
    logits = m(ids)
out = {
    'config': cfg,
    'state_dict': {k: {'shape': list(v.shape), 'data': v.flatten().tolist()} for k, v in m.state_dict().items()},
    'ids': ids.tolist(),
    'logits': logits.flatten().tolist(),
}
path = os.path.join(os.path.dirname(__file__), '..', 'src', 'gpt', 'fixtures', 'gpt_parity.json')
with open(path, 'w') as f:
    json.dump(out, f)
print('wrote', os.path.normpath(path))
