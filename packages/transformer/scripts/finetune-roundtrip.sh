#!/usr/bin/env bash
# The fine-tuning acceptance run end to end:
#   1. PyTorch (gpt2_roundtrip.py make) trains a GPT-2-architecture model and writes it;
#   2. genmodels loads it (logits vs PyTorch's), fine-tunes it with LoRA on another text
#      (val loss before/after), merges and saves it in GPT-2 names (finetune-roundtrip.ts);
#   3. PyTorch loads the merged model with strict=True and compares its logits with
#      genmodels' (fails above 1e-4).
#
#   packages/transformer/scripts/finetune-roundtrip.sh [WORKDIR]
#   LAYERS=4 WIDTH=256 MAKE_STEPS=300 FT_STEPS=200 LORA_RANK=8 (the defaults; smaller is faster)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pkg="$(dirname "$here")"
T="${1:-$(mktemp -d)}"
PY="${PYTHON:-/usr/bin/python3}"
mkdir -p "$T"
echo "== PyTorch: a ${LAYERS:-4}-layer, ${WIDTH:-256}-wide GPT-2 trained ${MAKE_STEPS:-300} steps -> $T/base"
"$PY" "$here/gpt2_roundtrip.py" make --layers "${LAYERS:-4}" --width "${WIDTH:-256}" \
  --steps "${MAKE_STEPS:-300}" --out "$T/base"
echo "== genmodels: load, compare logits, fine-tune, merge, save -> $T/tuned"
(cd "$pkg" && npx tsx --conditions=source scripts/finetune-roundtrip.ts --base "$T/base" \
  --out "$T/tuned" --steps "${FT_STEPS:-200}" --lora-rank "${LORA_RANK:-8}" ${TEXT:+--text "$TEXT"})
echo "== PyTorch: strict load of the merged model, logits vs genmodels'"
"$PY" "$here/gpt2_roundtrip.py" check --model "$T/tuned" --expect "$T/tuned/logits.safetensors" --tol 1e-4
if [ "${LORA_RANK:-8}" != 0 ]; then
  echo "== PyTorch: the base model plus the PEFT adapter files, merged as PEFT merges, vs genmodels' logits"
  "$PY" "$here/gpt2_roundtrip.py" check --model "$T/base" --adapter "$T/tuned-adapter" \
    --expect "$T/tuned/logits.safetensors" --tol 1e-4
fi
