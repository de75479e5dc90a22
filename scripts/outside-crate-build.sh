#!/usr/bin/env bash
# The cold build of an outside crate that uses only `foil::adversarial!` and
# `foil::runtime::forward_host`: what a user who adds foil for the macros pays.
#
#   scripts/outside-crate-build.sh            # this checkout
#   scripts/outside-crate-build.sh f57a666    # another revision (a temporary worktree)
#
# Builds in release with an empty target directory and prints the wall time,
# the CPU time (user + sys, less sensitive to other load on the machine), the
# number of crates compiled, and which heavy dependencies are in the tree.
# Prints, never asserts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/foil-outside.XXXXXX")
trap 'rm -rf "$work"; [ -n "$rev" ] && git -C "$root" worktree remove --force "$work/foil" >/dev/null 2>&1 || true' EXIT
src=$root
if [ -n "$rev" ]; then
  git -C "$root" worktree add --detach "$work/foil" "$rev" >/dev/null
  src=$work/foil
fi
# The facade: `macros/` since the crate split, the root package before it.
if grep -q '^name = "foil"$' "$src/macros/Cargo.toml" 2>/dev/null; then facade=$src/macros; else facade=$src; fi
mkdir -p "$work/user/src"
cat > "$work/user/Cargo.toml" <<TOML
[package]
name = "foil-user"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
foil = { path = "$facade" }

[workspace]
TOML
cat > "$work/user/src/main.rs" <<'RS'
foil::adversarial!(TanhGa = tanh(x));

fn main() {
    let x: Vec<f32> = (0..16).map(|i| i as f32 / 4.0 - 2.0).collect();
    match foil::runtime::forward_host::<TanhGa>(&x) {
        Ok(y) => println!("{y:?}"),
        Err(e) => println!("no device: {e}"),
    }
}
RS
# The same dependency versions as the workspace.
cp "$src/Cargo.lock" "$work/user/Cargo.lock"
cd "$work/user"
echo "foil at ${rev:-$(git -C "$root" rev-parse --short HEAD) (+ working tree)}, facade $facade"
echo "heavy dependencies in the tree:" $(cargo tree -e normal --prefix none 2>/dev/null | sed 's/ .*//' | sort -u | grep -xE 'clap|burn|burn-core|miette|indicatif|ureq|plotters|wgpu|cubecl|egg|syn' | tr '\n' ' ')
export CARGO_TARGET_DIR=$work/target
start=$(date +%s.%N)
/usr/bin/time -f '%U %S' -o "$work/cpu" cargo build --release --quiet 2> "$work/log" || { cat "$work/log"; exit 1; }
end=$(date +%s.%N)
read -r user sys < "$work/cpu"
crates=$(find "$CARGO_TARGET_DIR/release/deps" -name '*.rlib' -o -name '*.so' | wc -l)
printf 'cold release build: %.0f s wall, %.0f s CPU (user+sys), %d crates compiled, %s cores\n' \
  "$(echo "$end - $start" | bc)" "$(echo "$user + $sys" | bc)" "$crates" "$(nproc)"
