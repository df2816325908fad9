"""What the PyTorch reference scripts of the CIFAR-10 presets share (packages/*/scripts/cifar_*_torch.py).

Importing this module picks OpenBLAS kernels the CPU supports before torch loads libblas:
Debian's OpenBLAS 0.3.21 detects recent Xeons as "Prescott" and runs generic SSE3 kernels
(about 6x slower sgemm). Set OPENBLAS_CORETYPE to override. So import it before torch.
"""
import json
import os

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
