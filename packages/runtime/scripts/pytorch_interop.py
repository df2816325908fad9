#!/usr/bin/env python3
"""PyTorch <-> genmodels checkpoint and ONNX interop check (issue: runtime modules).

Run from packages/runtime with Debian's python3 (PyTorch 1.13, python3-onnx):
    /usr/bin/python3 scripts/pytorch_interop.py
It
  1. has genmodels train a small MLP, save a safetensors checkpoint and export ONNX,
  2. loads that checkpoint into the equivalent torch module with load_state_dict(strict=True)
     and compares outputs on the same input,
  3. runs onnx.checker.check_model on the exported file,
  4. saves a torch module's state_dict as safetensors, has genmodels load it, and compares.
Prints the max abs differences; exits 1 when one exceeds 1e-5.
Never a dependency of the library: the checkpoint parser is the stdlib one in
safetensors_crosscheck.py.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_crosscheck import read_safetensors, write_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(6, 16)
        self.fc2 = torch.nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


def ts(*args):
    subprocess.run(["npx", "tsx", "--conditions=source", os.path.join(HERE, "interop.ts"), *args], cwd=PKG, check=True)


def to_state_dict(path):
    tensors, metadata = read_safetensors(path)
    sd = {k: torch.tensor(v, dtype=torch.float32).reshape(shape) for k, (dt, shape, v) in tensors.items()}
    return sd, metadata


def main():
    worst = 0.0
    with tempfile.TemporaryDirectory() as d:
        ts("export", d)
        sd, meta = to_state_dict(os.path.join(d, "genmodels.safetensors"))
        net = Net()
        net.load_state_dict(sd, strict=True)
        out = json.load(open(os.path.join(d, "ts_out.json")))
        x = torch.tensor(out["x"], dtype=torch.float32).reshape(-1, 6)
        with torch.no_grad():
            y = net(x).flatten()
        diff = (y - torch.tensor(out["y"])).abs().max().item()
        worst = max(worst, diff)
        print(f"genmodels checkpoint -> torch load_state_dict(strict=True): max |diff| = {diff:.3g}")
        print(f"  metadata: family={meta.get('genmodels.family')} step={meta.get('genmodels.step')} version={meta.get('genmodels.version')}")

        model = onnx.load(os.path.join(d, "model.onnx"))
        props = {p.key: p.value for p in model.metadata_props}
        print(f"exported model: opset {model.opset_import[0].version}, ir {model.ir_version}, "
              f"producer {model.producer_name} {model.producer_version}, config {props.get('genmodels.config')}")
        try:
            onnx.checker.check_model(model, full_check=True)
            print("onnx.checker.check_model(full_check=True): ok")
        except onnx.checker.ValidationError as e:
            if "ir_version is higher" not in str(e) and "higher than" not in str(e):
                raise
            # Debian's python3-onnx (1.12) knows IR <= 8 and opset <= 17; our files are IR 10 /
            # opset 21. Check the structure with the checker's own IR/opset, and say so.
            model.ir_version = onnx.IR_VERSION
            del model.opset_import[:]
            model.opset_import.append(onnx.helper.make_opsetid("", onnx.defs.onnx_opset_version()))
            onnx.checker.check_model(model, full_check=True)
            print(f"onnx {onnx.__version__} checker: ok after lowering the declared IR/opset to {onnx.IR_VERSION}/"
                  f"{onnx.defs.onnx_opset_version()} (this onnx is too old for IR 10 / opset 21; this model's ops {sorted({n.op_type for n in model.graph.node})} "
                  "have the same definitions at both opsets)")

        torch.manual_seed(0)
        net2 = Net()
        tensors = {k: ("F32", list(v.shape), v.detach().contiguous().numpy().astype("<f4").tobytes()) for k, v in net2.state_dict().items()}
        write_safetensors(os.path.join(d, "torch.safetensors"), tensors, {"format": "pt"})
        x2 = torch.randn(5, 6)
        json.dump({"x": x2.flatten().tolist()}, open(os.path.join(d, "torch_in.json"), "w"))
        ts("load", d)
        got = torch.tensor(json.load(open(os.path.join(d, "ts_on_torch.json")))["y"])
        with torch.no_grad():
            want = net2(x2).flatten()
        diff2 = (got - want).abs().max().item()
        worst = max(worst, diff2)
        print(f"torch state_dict (safetensors) -> genmodels loadStateDict: max |diff| = {diff2:.3g}")
    if worst > 1e-5:
        print(f"FAILED: max difference {worst} > 1e-5")
        sys.exit(1)
    print("interop OK")


if __name__ == "__main__":
    main()
