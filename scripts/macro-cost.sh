#!/usr/bin/env bash
# Compile-time cost of one `adversarial!` / `activation!` invocation (debug).
#
# Builds a throw-away crate that depends on foil by path, once with 1 and once
# with 21 invocations, and prints (t21 - t1) / 20: the cost one more invocation
# adds (proc-macro expansion: parse, derive, e-graph runs, verification,
# codegen; and rustc compiling the emitted code and kernels). Each variant is
# rebuilt REPEATS times (only the throw-away crate is recompiled) and the
# fastest build counts, so the figure is reproducible on a loaded machine.
# Prints figures only; it never passes or fails on them.
#
# Usage: CARGO_TARGET_DIR=... scripts/macro-cost.sh [adversarial|activation] [REPEATS]
set -euo pipefail
macro=${1:-adversarial}
repeats=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
: "${CARGO_TARGET_DIR:?set CARGO_TARGET_DIR (the build reuses its dependencies)}"
crate=$(mktemp -d "${TMPDIR:-/tmp}/foil-macro-cost.XXXXXX")
trap 'rm -rf "$crate"' EXIT
mkdir -p "$crate/src"
cat > "$crate/Cargo.toml" <<TOML
[package]
name = "foil-macro-cost"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
foil = { path = "$root" }
[workspace]
TOML
cp "$root/Cargo.lock" "$crate/Cargo.lock"

# Distinct GA-able suite expressions, so no invocation is a cached copy of another.
exprs=("tanh(x)" "sigmoid(x)" "softplus(x)" "atan(x)" "asinh(x)" "x / sqrt(1 + x ^ 2)" "sigmoid(2 * x)"
  "exp(x) - 1" "tanh(2 * x)" "sigmoid(3 * x)" "atan(2 * x)" "asinh(2 * x)" "softplus(2 * x)" "tanh(3 * x)"
  "sigmoid(4 * x)" "atan(3 * x)" "asinh(3 * x)" "exp(2 * x) - 1" "tanh(x / 2)" "sigmoid(x / 2)" "atan(x / 2)")

write_lib() { # $1 = number of invocations
  {
    echo '#![allow(dead_code)]'
    echo "use foil::$macro;"
    for ((i = 0; i < $1; i++)); do echo "$macro!(Act$i = ${exprs[$i]});"; done
  } > "$crate/src/lib.rs"
}

build_ms() { # fastest of $repeats rebuilds of the throw-away crate, in ms
  local best=
  (cd "$crate" && cargo build --offline -q 2>&1) >/dev/null # dependencies, untimed
  for ((r = 0; r < repeats; r++)); do
    touch "$crate/src/lib.rs"
    local t0=$(date +%s%N)
    (cd "$crate" && cargo build --offline -q)
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    if [[ -z $best || $ms -lt $best ]]; then best=$ms; fi
  done
  echo "$best"
}

write_lib 1;  t1=$(build_ms)
write_lib 21; t21=$(build_ms)
echo "$macro!: 1 invocation ${t1} ms, 21 invocations ${t21} ms (debug, fastest of $repeats)"
echo "$macro!: $(( (t21 - t1) / 20 )) ms per additional invocation"
