#!/usr/bin/env python3
"""Cross-check src/io/safetensors.ts against an independent Python reader/writer.

Both directions:
  1. TypeScript (encodeSafetensors via saveSafetensors) writes a file; this script parses it
     with the Python standard library and materializes tensors with torch.frombuffer
     (falls back to struct when torch is not installed), then compares with the expected values.
  2. This script writes a file (incl. F16 and BF16 tensors); TypeScript loads it with
     loadSafetensors and prints the values as JSON; this script compares them.

Usage (from anywhere; needs node + the pnpm install of packages/runtime):
    python3 packages/runtime/scripts/safetensors_crosscheck.py

Exits non-zero on any mismatch. Not used by the test suite.
"""

import json
import math
import os
import struct
import subprocess
import sys
import tempfile

try:
    import torch  # type: ignore
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

RUNTIME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# safetensors dtype -> (struct format, element size)
FORMATS = {
    "F32": ("f", 4),
    "F16": ("e", 2),
    "BF16": (None, 2),
    "I64": ("q", 8),
    "I32": ("i", 4),
    "U8": ("B", 1),
    "BOOL": ("?", 1),
}


def torch_dtype(dt):
    return {
        "F32": torch.float32,
        "F16": torch.float16,
        "BF16": torch.bfloat16,
        "I64": torch.int64,
        "I32": torch.int32,
        "U8": torch.uint8,
        "BOOL": torch.bool,
    }[dt]


def read_safetensors(path):
    """Parse a safetensors file with the standard library; returns (tensors, metadata).

    Each tensor is (dtype, shape, values) with values a flat list of Python numbers.
    """
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    assert n % 8 == 0, f"header length {n} is not padded to a multiple of 8"
    buf = data[8 + n :]
    metadata = header.pop("__metadata__", None) or {}
    tensors = {}
    end_max = 0
    for name, info in header.items():
        dt, shape, (b, e) = info["dtype"], info["shape"], info["data_offsets"]
        count = math.prod(shape)
        fmt, size = FORMATS[dt]
        assert e - b == count * size, (name, b, e, shape, dt)
        end_max = max(end_max, e)
        raw = buf[b:e]
        if torch is not None:
            t = (
                torch.frombuffer(bytearray(raw), dtype=torch_dtype(dt))
                if raw
                else torch.empty(0, dtype=torch_dtype(dt))
            )
            t = t.reshape(shape)
            values = t.float().flatten().tolist() if dt in ("F16", "BF16") else t.flatten().tolist()
        elif dt == "BF16":
            values = [
                struct.unpack("<f", struct.pack("<I", h << 16))[0]
                for (h,) in struct.iter_unpack("<H", raw)
            ]
        else:
            values = [v for (v,) in struct.iter_unpack("<" + fmt, raw)] if raw else []
        tensors[name] = (dt, list(shape), values)
    assert end_max == len(buf), f"data buffer is {len(buf)} bytes, tensors end at {end_max}"
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Write a safetensors file with the standard library: tensors = {name: (dtype, shape, raw)}."""
    entries = {}
    if metadata:
        entries["__metadata__"] = metadata
    chunks = []
    offset = 0
    for name in sorted(tensors):
        dt, shape, raw = tensors[name]
        entries[name] = {"dtype": dt, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    header = json.dumps(entries, separators=(",", ":")).encode("utf-8")
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + b"".join(chunks))


def same(a, b):
    """Exact equality of numbers, treating NaN == NaN and distinguishing -0.0 from 0.0."""
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


def run_ts(code):
    out = subprocess.run(
        ["npx", "tsx", "--conditions=source", "-e", code],
        cwd=RUNTIME,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


TS_PRELUDE = f"""
const {{ Tensor }} = await import({json.dumps(os.path.join(RUNTIME, 'src/tensor.ts'))});
const {{ saveSafetensors, loadSafetensors }} = await import(
  {json.dumps(os.path.join(RUNTIME, 'src/io/safetensors-node.ts'))});
const fmt = (x) => (typeof x === 'bigint' ? x.toString() : Object.is(x, -0) ? '-0' : String(x));
"""


def main():
    failures = []
    inf, nan = float("inf"), float("nan")
    f32_vals = [1.0, -2.5, 65504.0, 2.0**-149, inf, -inf, nan, -0.0, 3.4028234663852886e38]
    with tempfile.TemporaryDirectory() as tmp:
        # 1. TypeScript writes, Python reads.
        ts_file = os.path.join(tmp, "from_ts.safetensors")
        run_ts(
            "(async () => {"
            + TS_PRELUDE
            + f"""
await saveSafetensors({json.dumps(ts_file)}, {{
  f32: new Tensor('float32', [3, 3], new Float32Array([1, -2.5, 65504, 2 ** -149, Infinity, -Infinity, NaN, -0, 3.4028234663852886e38])),
  i64: new Tensor('int64', [3], new BigInt64Array([9223372036854775807n, -9223372036854775808n, -1n])),
  i32: new Tensor('int32', [2, 1], new Int32Array([-2147483648, 7])),
  u8: new Tensor('uint8', [3], new Uint8Array([0, 128, 255])),
  mask: new Tensor('bool', [2], new Uint8Array([1, 0])),
  scalar: Tensor.scalar(0.5),
  empty: new Tensor('int64', [2, 0]),
}}, {{ format: 'pt', note: 'ünïcödé' }});
}})()"""
        )
        tensors, metadata = read_safetensors(ts_file)
        expected = {
            "f32": ("F32", [3, 3], f32_vals),
            "i64": ("I64", [3], [2**63 - 1, -(2**63), -1]),
            "i32": ("I32", [2, 1], [-(2**31), 7]),
            "u8": ("U8", [3], [0, 128, 255]),
            "mask": ("BOOL", [2], [True, False]),
            "scalar": ("F32", [], [0.5]),
            "empty": ("I64", [2, 0], []),
        }
        if metadata != {"format": "pt", "note": "ünïcödé"}:
            failures.append(f"TS->Py metadata: {metadata}")
        if set(tensors) != set(expected):
            failures.append(f"TS->Py names: {sorted(tensors)}")
        for name, (dt, shape, values) in expected.items():
            got = tensors.get(name)
            if got is None:
                continue
            if got[0] != dt or got[1] != shape or len(got[2]) != len(values):
                failures.append(f"TS->Py {name}: {got[:2]} != {(dt, shape)}")
            elif not all(same(a, b) for a, b in zip(got[2], values)):
                failures.append(f"TS->Py {name}: {got[2]} != {values}")

        # 2. Python writes, TypeScript reads.
        py_file = os.path.join(tmp, "from_py.safetensors")
        f16_bits = [0x3C00, 0xC100, 0x7BFF, 0x0001, 0x03FF, 0x7C00, 0xFC00, 0x7E00, 0x8000]
        f16_vals = [1.0, -2.5, 65504.0, 2.0**-24, 1023 * 2.0**-24, inf, -inf, nan, -0.0]
        bf16_bits = [0x3F80, 0xC020, 0x477F, 0x7F7F, 0x0001, 0x7F80, 0xFF80, 0x7FC0, 0x8000]
        bf16_vals = [1.0, -2.5, 65280.0, 3.3895313892515355e38, 2.0**-133, inf, -inf, nan, -0.0]
        py_tensors = {
            "half": ("F16", [3, 3], struct.pack("<9H", *f16_bits)),
            "brain": ("BF16", [9], struct.pack("<9H", *bf16_bits)),
            "f32": ("F32", [9], struct.pack("<9f", *f32_vals)),
            "i64": ("I64", [3], struct.pack("<3q", 2**63 - 1, -(2**63), -1)),
            "i32": ("I32", [], struct.pack("<i", -5)),
            "u8": ("U8", [1, 3], bytes([0, 128, 255])),
            "mask": ("BOOL", [2], bytes([1, 0])),
            "empty": ("F32", [0], b""),
        }
        if torch is not None:
            # Also let torch produce the half-precision bytes from float values.
            th = torch.tensor([1.0, -2.5, 65504.0, 2.0**-24], dtype=torch.float16)
            py_tensors["torch_half"] = ("F16", [4], th.view(torch.int16).numpy().tobytes())
            tb = torch.tensor([1.0, -2.5, 65280.0], dtype=torch.bfloat16)
            py_tensors["torch_bf16"] = ("BF16", [3], tb.view(torch.int16).numpy().tobytes())
        write_safetensors(py_file, py_tensors, {"source": "python"})
        out = run_ts(
            "(async () => {"
            + TS_PRELUDE
            + f"""
const f = await loadSafetensors({json.dumps(py_file)});
const res = {{ metadata: f.metadata, tensors: {{}} }};
for (const [k, t] of Object.entries(f.tensors)) {{
  res.tensors[k] = {{ dtype: t.dtype, shape: t.shape, values: Array.from(t.data, fmt) }};
}}
console.log(JSON.stringify(res));
}})()"""
        )
        res = json.loads(out)
        want = {
            "half": ("float32", [3, 3], f16_vals),
            "brain": ("float32", [9], bf16_vals),
            "f32": ("float32", [9], f32_vals),
            "i64": ("int64", [3], [2**63 - 1, -(2**63), -1]),
            "i32": ("int32", [], [-5]),
            "u8": ("uint8", [1, 3], [0, 128, 255]),
            "mask": ("bool", [2], [1, 0]),
            "empty": ("float32", [0], []),
        }
        if torch is not None:
            want["torch_half"] = ("float32", [4], [1.0, -2.5, 65504.0, 2.0**-24])
            want["torch_bf16"] = ("float32", [3], [1.0, -2.5, 65280.0])
        if res["metadata"] != {"source": "python"}:
            failures.append(f"Py->TS metadata: {res['metadata']}")
        if set(res["tensors"]) != set(want):
            failures.append(f"Py->TS names: {sorted(res['tensors'])}")
        for name, (dt, shape, values) in want.items():
            got = res["tensors"].get(name)
            if got is None:
                continue
            conv = float if dt == "float32" else int
            got_vals = [conv(v) for v in got["values"]]
            if got["dtype"] != dt or got["shape"] != shape:
                failures.append(f"Py->TS {name}: {got['dtype']} {got['shape']} != {dt} {shape}")
            elif len(got_vals) != len(values) or not all(
                same(a, b) for a, b in zip(got_vals, values)
            ):
                failures.append(f"Py->TS {name}: {got_vals} != {values}")

    mode = f"torch {torch.__version__}" if torch is not None else "stdlib struct (torch not installed)"
    if failures:
        print(f"safetensors cross-check FAILED ({mode}):")
        for f in failures:
            print("  " + f)
        sys.exit(1)
    print(f"safetensors cross-check OK ({mode}): TS->Python and Python->TS")


if __name__ == "__main__":
    main()
