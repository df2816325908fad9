"""What the PyTorch reference scripts of the CIFAR-10 presets share (packages/*/scripts/cifar_*_torch.py).

Importing this module picks OpenBLAS kernels the CPU supports before torch loads libblas:
Debian's OpenBLAS 0.3.21 detects recent Xeons as "Prescott" and runs generic SSE3 kernels
(about 6x slower sgemm). Set OPENBLAS_CORETYPE to override. So import it before torch.
"""
import json
import os
import struct

if "OPENBLAS_CORETYPE" not in os.environ:
    try:
        _cpu = open("/proc/cpuinfo").read()
        if " avx512f" in _cpu:
            os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
        elif " avx2" in _cpu:
            os.environ["OPENBLAS_CORETYPE"] = "Haswell"
    except OSError:
        pass

import numpy as np  # noqa: E402 (after the environment above)

# One record of CIFAR-10's binary version: a label byte, then 3x32x32 pixel bytes (CHW).
RECORD = 1 + 3072


def emit(**kw):
    """One JSON line on stdout, flushed (the scripts' output format)."""
    print(json.dumps(kw), flush=True)


def read_cifar_bin(data_dir, names):
    """(images uint8 [N, 3, 32, 32], labels int64 [N]) of CIFAR-10's binary files `names` in `data_dir`."""
    images, labels = [], []
    for name in names:
        path = os.path.join(data_dir, name)
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size == 0 or raw.size % RECORD != 0:
            raise ValueError(f"{path}: {raw.size} bytes is not a whole, nonzero number of {RECORD}-byte records")
        rec = raw.reshape(-1, RECORD)
        labels.append(rec[:, 0].astype(np.int64))
        images.append(rec[:, 1:].reshape(-1, 3, 32, 32))
    return np.concatenate(images), np.concatenate(labels)


# ---------------------------------------------------------------------------------------------
# genmodels' Rng (packages/runtime/src/rng.ts): Philox4x32-10, a 64-bit key from the seed, a
# 128-bit block counter from 0, four uint32 words per block in order. Vectorized over blocks.

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK = np.uint64(0xFFFFFFFF)


def philox_words(k0, k1, first_block, nblocks):
    """Words of blocks first_block .. first_block + nblocks - 1 (counter < 2^64), uint32 [4n]."""
    idx = np.arange(first_block, first_block + nblocks, dtype=np.uint64)
    c0 = idx & _MASK
    c1 = idx >> np.uint64(32)
    c2 = np.zeros_like(idx)
    c3 = np.zeros_like(idx)
    for r in range(10):
        if r > 0:
            k0 = (k0 + _W0) & 0xFFFFFFFF
            k1 = (k1 + _W1) & 0xFFFFFFFF
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & _MASK,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & _MASK)
    return np.stack([c0, c1, c2, c3], axis=1).reshape(-1).astype(np.uint32)


class GmRng:
    """genmodels' Rng: the same stream, split, uniform, normal and permutation."""

    def __init__(self, seed=0, key=None):
        self.k0, self.k1 = key if key is not None else (seed % 2 ** 32, seed // 2 ** 32)
        self.pos = 0  # words drawn so far

    def words(self, n):
        first, end = self.pos // 4, -(-(self.pos + n) // 4)
        w = philox_words(self.k0, self.k1, first, end - first)
        off = self.pos - 4 * first
        self.pos += n
        return w[off:off + n]

    def split(self, n):
        w = self.words(2 * n)
        return [GmRng(key=(int(w[2 * i]), int(w[2 * i + 1]))) for i in range(n)]

    def uniform(self, n):
        """U[0, 1) float32 with 24 random bits (rng.uniform(n))."""
        return ((self.words(n) >> np.uint32(8)).astype(np.float64) * 2.0 ** -24).astype(np.float32)

    def normal(self, n):
        """N(0, 1) float32 by Box-Muller over word pairs, both outputs used (rng.normal(n))."""
        pairs = -(-n // 2)
        w = self.words(2 * pairs).astype(np.float64).reshape(pairs, 2)
        r = np.sqrt(-2 * np.log((w[:, 0] + 1) * 2.0 ** -32))
        theta = 2 * np.pi * w[:, 1] * 2.0 ** -32
        return np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1).reshape(-1)[:n].astype(np.float32)

    def permutation(self, n):
        """Fisher-Yates from the top, j = below(i + 1) with rejection of the top partial bucket."""
        a = list(range(n))
        start = self.pos
        buf, k = self.words(n + 16).tolist(), 0
        for i in range(n - 1, 0, -1):
            r = i + 1
            limit = 2 ** 32 - (2 ** 32 % r)
            while True:
                if k == len(buf):
                    buf += self.words(1024).tolist()
                u = buf[k]
                k += 1
                if u < limit:
                    break
            j = u % r
            a[i], a[j] = a[j], a[i]
        self.pos = start + k  # the words past the last one used stay unread
        return np.array(a, dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# safetensors (F32 only), the format of genmodels' model.safetensors.

def save_safetensors(path, tensors):
    """Write a {name: torch tensor} dict as an F32 safetensors file."""
    import torch

    header, offset, blobs = {}, 0, []
    for k, t in tensors.items():
        a = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(a)]}
        offset += len(a)
        blobs.append(a)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for a in blobs:
            f.write(a)


def load_safetensors(path):
    """{name: torch float32 tensor} of an F32 safetensors file (genmodels' model.safetensors)."""
    import torch

    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        if v["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {k} is {v['dtype']}; this reader takes F32")
        b, e = v["data_offsets"]
        a = np.frombuffer(raw, dtype="<f4", count=(e - b) // 4, offset=8 + n + b)
        out[k] = torch.from_numpy(a.astype(np.float32).reshape(v["shape"]))
    return out
