#!/usr/bin/env bash
# Run one fuzz target with the settings used for the committed corpus:
#   fuzz/run.sh <parse|derive|macro_input> [seconds]
# Builds with libFuzzer instrumentation on nightly (what `cargo fuzz build`
# does, without needing cargo-fuzz), then fuzzes fuzz/corpus/<target>/ and
# minimises it in place. Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
target=$1
seconds=${2:-300}
here=$(cd "$(dirname "$0")" && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
triple=x86_64-unknown-linux-gnu
(cd "$here" && cargo +nightly build --release --target $triple --bin "$target")
bin=$CARGO_TARGET_DIR/$triple/release/$target
corpus=$here/corpus/$target
mkdir -p "$here/artifacts/$target"
# Derivations are slow per input: short inputs, a per-input timeout that
# counts as a hang well above the compiler's own 20 s call bound.
case $target in
  parse) len=512 ;;
  *) len=128 ;;
esac
"$bin" "$corpus" -dict="$here/spec.dict" -max_len=$len -timeout=30 -rss_limit_mb=4096 \
  -max_total_time="$seconds" -artifact_prefix="$here/artifacts/$target/" -print_final_stats=1
# Minimise: the smallest set of inputs that covers every edge reached
# (edges, not hit counts: a few hundred files instead of thousands).
tmp=$(mktemp -d)
"$bin" -set_cover_merge=1 -use_counters=0 -timeout=30 "$tmp" "$corpus"
rm -rf "$corpus" && mv "$tmp" "$corpus"
