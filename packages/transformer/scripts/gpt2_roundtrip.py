"""A small GPT-2 in PyTorch with Hugging Face's parameter names and layouts, written out here
(no `transformers`, no download), to check that genmodels reads and writes GPT-2 checkpoints.

Runs with Debian's python3-torch (torch 1.13, no `safetensors` module: the safetensors format
is read and written by hand below). The module tree is GPT2LMHeadModel's: Conv1D layers store
their weight [in, out], the MLP uses the tanh GELU ("gelu_new"), positions are learned, the
attention is causal and the LM head is tied to the token embedding. Tokens come from a
byte-level BPE trained on the text by bpe_reference.py (beside this script), or are the
text's bytes with --byte-vocab.

    /usr/bin/python3 packages/transformer/scripts/gpt2_roundtrip.py make-fixture
        writes src/gpt/fixtures/gpt2_tiny/: a 2-layer, 32-wide model trained 100 Adam steps on
        the built-in text (model.safetensors, config.json, vocab.json, merges.txt,
        tokenizer.json, and logits.safetensors: fixed token ids and PyTorch's logits for them)
    /usr/bin/python3 packages/transformer/scripts/gpt2_roundtrip.py make --layers 4 --width 256 \\
        --steps 300 --out DIR [--text FILE] [--heads 4] [--positions 256] [--merges 500]
        the same files for a model of that size, trained on FILE (default: the built-in text)
    /usr/bin/python3 packages/transformer/scripts/gpt2_roundtrip.py check --model DIR \\
        [--expect FILE | --tokens '1,2,3;4,5,6' | --text 'Some text'] [--out FILE] [--tol 1e-4]
        loads DIR/model.safetensors into the module with load_state_dict(strict=True) (a tied
        lm_head.weight absent from the file is taken from the token embedding, as
        from_pretrained does) and computes logits: with --expect (a logits.safetensors that
        genmodels wrote), prints the largest difference from its logits and fails above --tol
"""
import argparse
import array
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.normpath(os.path.join(HERE, '..', 'src', 'gpt', 'fixtures', 'gpt2_tiny'))
sys.path.insert(0, HERE)
try:
    import bpe_reference as bpe
except ImportError:  # the BPE reference is optional: --byte-vocab works without it
    bpe = None

TEXT = """\
At the edge of the valley there is a small station where the night train stops for two
minutes. Nobody gets off, as a rule, and nobody gets on; the guard lifts his lamp, the
driver looks at his watch, and the train goes on towards the sea. But on the evening this
story begins, a woman with a green suitcase stepped down onto the platform, and the train
left without her before she had turned round.
She stood for a while under the single lamp. The station had a bench, a clock that showed
the wrong time, and a timetable so faded that only the word "Sunday" could still be read.
Beyond the fence a path led down through the orchards to the village, where three windows
were lit. She picked up her suitcase and followed the path.
The first house belonged to the baker, who was still awake because bread does not wait for
anyone. He gave her a cup of tea and a piece of yesterday's loaf, and asked where she was
going. "To the sea," she said, "but I think I got off too early." The baker laughed and
said that everyone who came to the valley said the same thing, and that most of them
stayed.
In the morning the valley looked different. The orchards were full of apples, the river
was low and clear, and the children of the village were already on their way to school,
counting the steps of the old bridge as they crossed it: one hundred and twelve, every day
the same. The woman counted with them, and got one hundred and thirteen, and they argued
about it all the way to the school gate.
She found work at the mill, where the miller needed someone who could read his letters and
answer them. The letters came from the city, from merchants who wanted flour, and from his
brother, who wanted money. She answered the merchants politely and the brother briefly.
By the end of the summer the mill was busier than it had been for years.
When the first storms of autumn came, the river rose and the bridge shook, and the
children counted the steps again to make sure none had been washed away. There were still
one hundred and twelve, or one hundred and thirteen, depending on who was counting.
The night train still stops at the station for two minutes. Sometimes a traveller looks out
of the window at the bench and the lamp and the clock, and wonders who would ever get off
there. The woman with the green suitcase could tell them, but she is usually asleep by then,
because the mill starts early and bread, as the baker says, does not wait for anyone.
"""

FIXED_TEXTS = ['The woman counted the steps of the bridge.', 'Bread does not wait, said the baker.']

# ---------------------------------------------------------------------------------------------
# safetensors by hand: 8-byte little-endian header length, JSON header, little-endian data.

ST_DTYPES = {'F32': (torch.float32, 'f', 4), 'I64': (torch.int64, 'q', 8), 'F16': (torch.float16, None, 2),
             'BF16': (torch.bfloat16, None, 2)}


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        code = {torch.float32: 'F32', torch.int64: 'I64'}[t.dtype]
        data = array.array(ST_DTYPES[code][1], t.flatten().tolist())
        if sys.byteorder == 'big':
            data.byteswap()
        blob = data.tobytes()
        header[name] = {'dtype': code, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    metadata = header.pop('__metadata__', None) or {}
    data, out = raw[8 + n:], {}
    for name, info in header.items():
        if info['dtype'] not in ST_DTYPES:
            raise SystemExit(f'{path}: tensor {name} has dtype {info["dtype"]}; this script reads '
                             f'{", ".join(ST_DTYPES)}')
        dtype, _, size = ST_DTYPES[info['dtype']]
        b, e = info['data_offsets']
        chunk = bytearray(data[b:e])
        if sys.byteorder == 'big':
            chunk = bytearray(b''.join(chunk[i:i + size][::-1] for i in range(0, len(chunk), size)))
        t = torch.frombuffer(chunk, dtype=dtype) if chunk else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info['shape']).to(torch.float32 if dtype.is_floating_point else dtype)
    return out, metadata


# ---------------------------------------------------------------------------------------------
# GPT-2, with Hugging Face's module tree and state_dict keys.

class Conv1D(nn.Module):
    """GPT-2's Conv1D: a linear layer whose weight is stored [in, out]: y = x W + b."""

    def __init__(self, n_in, n_out, std=0.02):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * std)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        y = torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight)
        return y.reshape(*x.shape[:-1], self.weight.shape[1])


def gelu_new(x):
    """GELU's tanh approximation, as GPT-2 computes it ("gelu_new")."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {'gelu_new': gelu_new, 'gelu_pytorch_tanh': gelu_new, 'gelu': F.gelu}


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        e, self.n_head = cfg['n_embd'], cfg['n_head']
        self.c_attn = Conv1D(e, 3 * e)
        self.c_proj = Conv1D(e, e, 0.02 / math.sqrt(2 * cfg['n_layer']))

    def forward(self, x):
        b, t, e = x.shape
        h = self.n_head
        q, k, v = (z.reshape(b, t, h, e // h).transpose(1, 2) for z in self.c_attn(x).split(e, dim=2))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(e // h)
        future = torch.ones(t, t, dtype=torch.bool).triu(1)
        att = att.masked_fill(future, float('-inf')).softmax(-1)
        return self.c_proj((att @ v).transpose(1, 2).reshape(b, t, e))


class Mlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        e = cfg['n_embd']
        self.c_fc = Conv1D(e, 4 * e)
        self.c_proj = Conv1D(4 * e, e, 0.02 / math.sqrt(2 * cfg['n_layer']))
        self.act = ACTIVATIONS[cfg['activation_function']]

    def forward(self, x):
        return self.c_proj(self.act(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        e, eps = cfg['n_embd'], cfg['layer_norm_epsilon']
        self.ln_1 = nn.LayerNorm(e, eps=eps)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(e, eps=eps)
        self.mlp = Mlp(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg['vocab_size'], cfg['n_embd'])
        self.wpe = nn.Embedding(cfg['n_positions'], cfg['n_embd'])
        self.h = nn.ModuleList([Block(cfg) for _ in range(cfg['n_layer'])])
        self.ln_f = nn.LayerNorm(cfg['n_embd'], eps=cfg['layer_norm_epsilon'])
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.02)


class Gpt2LMHeadModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.transformer = Transformer(cfg)
        self.lm_head = nn.Linear(cfg['n_embd'], cfg['vocab_size'], bias=False)
        self.tied = cfg.get('tie_word_embeddings', True)
        if self.tied:
            self.lm_head.weight = self.transformer.wte.weight

    def forward(self, ids):
        tr = self.transformer
        x = tr.wte(ids) + tr.wpe(torch.arange(ids.shape[1]))
        for block in tr.h:
            x = block(x)
        return self.lm_head(tr.ln_f(x))

    def checkpoint(self):
        """The state dict as a safetensors file holds it: a tied head is not written twice."""
        sd = self.state_dict()
        if self.tied:
            del sd['lm_head.weight']
        return sd


def hf_config(vocab_size, layers, width, heads, positions, eot):
    return {
        'architectures': ['GPT2LMHeadModel'], 'model_type': 'gpt2', 'vocab_size': vocab_size,
        'n_positions': positions, 'n_embd': width, 'n_layer': layers, 'n_head': heads,
        'n_inner': None, 'activation_function': 'gelu_new', 'layer_norm_epsilon': 1e-5,
        'tie_word_embeddings': True, 'bos_token_id': eot, 'eos_token_id': eot,
    }


# ---------------------------------------------------------------------------------------------
# Tokens, training, files.

def tokenizer_for(text, merges, byte_vocab):
    """(encode, vocab, merges): a BPE trained on text, or bytes plus <|endoftext|> (id 256)."""
    if byte_vocab or bpe is None:
        if not byte_vocab:
            print('bpe_reference.py not found: using byte ids (vocab 257)', file=sys.stderr)
        return (lambda s: list(s.encode('utf-8'))), None, None
    vocab, learned = bpe.train_bpe(text, merges)
    return bpe.Encoder(vocab, learned).encode, vocab, learned


def train(model, tokens, steps, context, lr, batch=16, seed=0):
    data = torch.tensor(tokens, dtype=torch.int64)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for step in range(steps):
        starts = torch.randint(0, len(data) - context - 1, (batch,), generator=g)
        x = torch.stack([data[s:s + context] for s in starts])
        y = torch.stack([data[s + 1:s + context + 1] for s in starts])
        loss = F.cross_entropy(model(x).reshape(-1, model.lm_head.weight.shape[0]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            print(f'step {step:4d}  loss {loss.item():.4f}', file=sys.stderr)
    return model.eval()


def fixed_ids(encode, length):
    rows = [encode(t)[:length] for t in FIXED_TEXTS]
    n = min(len(r) for r in rows)
    return torch.tensor([r[:n] for r in rows], dtype=torch.int64)


def write_model(out, model, cfg, vocab, merges, ids):
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, 'model.safetensors'), model.checkpoint(), {'format': 'pt'})
    with open(os.path.join(out, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
        f.write('\n')
    if vocab is not None:
        bpe.write_tokenizer(out, vocab, merges)
    with torch.no_grad():
        logits = model(ids)
    write_safetensors(os.path.join(out, 'logits.safetensors'), {'ids': ids, 'logits': logits},
                      {'texts': json.dumps(FIXED_TEXTS)})
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f'wrote {out} ({size} bytes; logits {list(logits.shape)})')


def make(args, out):
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    text = TEXT
    if args.text:
        with open(args.text, encoding='utf-8') as f:
            text = f.read()
    encode, vocab, merges = tokenizer_for(text, args.merges, args.byte_vocab)
    vocab_size = len(vocab) if vocab is not None else 257
    eot = vocab_size - 1
    cfg = hf_config(vocab_size, args.layers, args.width, args.heads, args.positions, eot)
    model = Gpt2LMHeadModel(cfg)
    tokens = encode(text)
    context = min(args.positions, args.context, len(tokens) // 4)
    train(model, tokens, args.steps, context, args.lr, seed=args.seed)
    write_model(out, model, cfg, vocab, merges, fixed_ids(encode, min(args.positions, 12)))


# ---------------------------------------------------------------------------------------------
# check: strict load of a GPT-2-named safetensors file, logits, comparison.

def load_strict(directory):
    with open(os.path.join(directory, 'config.json')) as f:
        cfg = json.load(f)
    cfg.setdefault('layer_norm_epsilon', 1e-5)
    cfg.setdefault('activation_function', 'gelu_new')
    model = Gpt2LMHeadModel(cfg).eval()
    sd, _ = read_safetensors(os.path.join(directory, 'model.safetensors'))
    if 'transformer.wte.weight' not in sd and 'wte.weight' in sd:  # a GPT2Model file
        sd = {f'transformer.{k}': v for k, v in sd.items()}
    if model.tied:
        if 'lm_head.weight' in sd and not torch.equal(sd['lm_head.weight'], sd['transformer.wte.weight']):
            raise SystemExit('lm_head.weight differs from transformer.wte.weight in a tied model')
        sd.setdefault('lm_head.weight', sd['transformer.wte.weight'])
    model.load_state_dict(sd, strict=True)
    return model, cfg


def apply_peft_adapter(model, directory):
    """Merge PEFT LoRA files (adapter_model.safetensors, adapter_config.json) into `model`
    as PEFT's merge does: W += scaling * B @ A, transposed for fan_in_fan_out (Conv1D).
    Every adapter must name an existing weight, and every weight a pair (else exit)."""
    with open(os.path.join(directory, 'adapter_config.json')) as f:
        conf = json.load(f)
    if conf.get('peft_type') != 'LORA':
        raise SystemExit(f"{directory}: peft_type {conf.get('peft_type')!r}, expected 'LORA'")
    tensors, _ = read_safetensors(os.path.join(directory, 'adapter_model.safetensors'))
    scaling = conf['lora_alpha'] / conf['r']
    prefix = 'base_model.model.'
    params = dict(model.named_parameters())
    paths = sorted({k[len(prefix):].rsplit('.lora_', 1)[0] for k in tensors})
    if len(tensors) != 2 * len(paths) or not all(k.startswith(prefix) for k in tensors):
        raise SystemExit(f'{directory}: unexpected adapter keys {sorted(tensors)}')
    with torch.no_grad():
        for path in paths:
            a = tensors[f'{prefix}{path}.lora_A.weight']
            b = tensors[f'{prefix}{path}.lora_B.weight']
            w = params.get(f'{path}.weight')
            if w is None:
                raise SystemExit(f'{directory}: no weight {path}.weight in the model')
            delta = (b @ a) * scaling
            w += delta.T if conf.get('fan_in_fan_out') else delta
    return len(paths)


def check(args):
    model, cfg = load_strict(args.model)
    adapted = apply_peft_adapter(model, args.adapter) if args.adapter else 0
    expect = None
    if args.expect:
        expect, _ = read_safetensors(args.expect)
        ids = expect['ids']
    elif args.tokens:
        ids = torch.tensor([[int(t) for t in row.split(',')] for row in args.tokens.split(';')])
    elif args.text:
        if bpe is None:
            raise SystemExit('--text needs bpe_reference.py beside this script')
        with open(os.path.join(args.model, 'vocab.json'), encoding='utf-8') as f:
            vocab = json.load(f)
        with open(os.path.join(args.model, 'merges.txt'), encoding='utf-8') as f:
            merges = [tuple(line.split(' ')) for line in f.read().splitlines()[1:] if line]
        ids = torch.tensor([bpe.Encoder(vocab, merges).encode(args.text)])
    else:
        ids = torch.arange(min(8, cfg['n_positions'])).remainder(cfg['vocab_size']).unsqueeze(0)
    with torch.no_grad():
        logits = model(ids)
    report = {'model': args.model, 'strict': True, 'ids': list(ids.shape), 'logits': list(logits.shape)}
    if args.adapter:
        report['adapter'] = args.adapter
        report['adapted_weights'] = adapted
    if expect is not None:
        report['max_abs_diff'] = (logits - expect['logits']).abs().max().item()
    if args.out:
        write_safetensors(args.out, {'ids': ids, 'logits': logits})
    print(json.dumps(report))
    if expect is not None and report['max_abs_diff'] > args.tol:
        sys.exit(1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='mode', required=True)
    fx = sub.add_parser('make-fixture', help='the tiny fixture of src/gpt/fixtures/gpt2_tiny')
    fx.add_argument('--out', default=FIXTURE)
    fx.add_argument('--byte-vocab', action='store_true', help='byte ids instead of a BPE vocabulary')
    mk = sub.add_parser('make', help='a model of a given size')
    mk.add_argument('--out', required=True)
    mk.add_argument('--layers', type=int, default=4)
    mk.add_argument('--width', type=int, default=256)
    mk.add_argument('--heads', type=int, default=4)
    mk.add_argument('--positions', type=int, default=256)
    mk.add_argument('--context', type=int, default=128, help='training window (<= positions)')
    mk.add_argument('--steps', type=int, default=300)
    mk.add_argument('--lr', type=float, default=1e-3)
    mk.add_argument('--merges', type=int, default=500)
    mk.add_argument('--text', help='UTF-8 training text (default: the built-in text)')
    mk.add_argument('--seed', type=int, default=0)
    mk.add_argument('--byte-vocab', action='store_true', help='byte ids instead of a BPE vocabulary')
    ck = sub.add_parser('check', help='strict load and logits of a GPT-2-named model directory')
    ck.add_argument('--model', required=True)
    ck.add_argument('--expect', help='a logits.safetensors (ids, logits) to compare with')
    ck.add_argument('--tokens', help="token ids: '1,2,3;4,5,6' (rows separated by ';')")
    ck.add_argument('--text', help="text to encode with the model's vocab.json and merges.txt")
    ck.add_argument('--out', help='write ids and logits to this safetensors file')
    ck.add_argument('--tol', type=float, default=1e-4)
    ck.add_argument('--adapter', help='a PEFT LoRA directory to merge into --model first')
    args = p.parse_args()
    if args.mode == 'make-fixture':
        args = argparse.Namespace(out=args.out, byte_vocab=args.byte_vocab, layers=2, width=32, heads=2,
                                  positions=32, context=32, steps=100, lr=3e-3, merges=23, text=None,
                                  seed=0)
        make(args, args.out)
    elif args.mode == 'make':
        make(args, args.out)
    else:
        check(args)


if __name__ == '__main__':
    main()
