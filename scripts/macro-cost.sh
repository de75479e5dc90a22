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
# `split` measures `adversarial!(.., mode = split)` (SA; its n-input kernels
# are still emitted per invocation). With FOIL_MACRO_COST_OPTIMISED=1 the
# throw-away crate builds the macros' symbolic engine optimised, as the
# README recommends (`[profile.dev.package.foil-compiler] opt-level = 2`).
#
# Usage: CARGO_TARGET_DIR=... scripts/macro-cost.sh [adversarial|activation|split] [REPEATS]
set -euo pipefail
kind=${1:-adversarial}
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
foil = { path = "$root/macros" }
[workspace]
TOML
if [[ ${FOIL_MACRO_COST_OPTIMISED:-0} == 1 ]]; then
  printf '%s\n' '[profile.dev.package.foil-compiler]' 'opt-level = 2' '[profile.dev.package.foil-codegen]' 'opt-level = 2' \
    '[profile.dev.package.egg]' 'opt-level = 2' >> "$crate/Cargo.toml"
fi
cp "$root/Cargo.lock" "$crate/Cargo.lock"

# Distinct expressions, so no invocation is a cached copy of another: GA-able
# ones, and for `split` ones whose SA terms integrate in closed form.
ga_exprs=("tanh(x)" "sigmoid(x)" "softplus(x)" "atan(x)" "asinh(x)" "x / sqrt(1 + x ^ 2)" "sigmoid(2 * x)"
  "exp(x) - 1" "tanh(2 * x)" "sigmoid(3 * x)" "atan(2 * x)" "asinh(2 * x)" "softplus(2 * x)" "tanh(3 * x)"
  "sigmoid(4 * x)" "atan(3 * x)" "asinh(3 * x)" "exp(2 * x) - 1" "tanh(x / 2)" "sigmoid(x / 2)" "atan(x / 2)")
split_exprs=("tanh(x)" "sigmoid(x)" "x * sigmoid(x)" "tanh(2 * x)" "sigmoid(2 * x)" "x * sigmoid(2 * x)" "tanh(3 * x)"
  "sigmoid(3 * x)" "x * sigmoid(3 * x)" "tanh(4 * x)" "sigmoid(4 * x)" "x * sigmoid(4 * x)" "tanh(x / 2)" "sigmoid(x / 2)"
  "x * sigmoid(x / 2)" "tanh(5 * x)" "sigmoid(5 * x)" "x * sigmoid(5 * x)" "tanh(x / 3)" "sigmoid(x / 3)" "x * sigmoid(x / 3)")
case $kind in
  adversarial) macro=adversarial; suffix=""; exprs=("${ga_exprs[@]}") ;;
  activation) macro=activation; suffix=""; exprs=("${ga_exprs[@]}") ;;
  split) macro=adversarial; suffix=", mode = split"; exprs=("${split_exprs[@]}") ;;
  *) echo "usage: $0 [adversarial|activation|split] [REPEATS]" >&2; exit 2 ;;
esac

write_lib() { # $1 = number of invocations
  {
    echo '#![allow(dead_code)]'
    echo "use foil::$macro;"
    for ((i = 0; i < $1; i++)); do echo "$macro!(Act$i = ${exprs[$i]}$suffix);"; done
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
what="$macro!${suffix:+ ($suffix)}"; [[ ${FOIL_MACRO_COST_OPTIMISED:-0} == 1 ]] && what+=" [engine optimised]"
echo "$what: 1 invocation ${t1} ms, 21 invocations ${t21} ms (debug, fastest of $repeats)"
echo "$what: $(( (t21 - t1) / 20 )) ms per additional invocation"
