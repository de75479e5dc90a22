#!/usr/bin/env bash
# The kernel accuracy tests and foil-bench's kernel and training sections on
# wgpu/Vulkan on an NVIDIA GPU, the results as JSON in bench/results/, in
# about 7 minutes (370 s of the steps before foil-bandwidth on an H200,
# 2026-12-04; the budget is 9 minutes).
#
#   scripts/gpu-check.sh --prepare   # here (any x86-64 machine with cargo and xz):
#                                    #   build the release artifacts and pack
#                                    #   them into .gpu-check/artifacts.tar.xz
#   scripts/gpu-check.sh             # on the GPU machine: run them
#   scripts/gpu-check.sh --dry-run   # anywhere: say what it would do, run nothing
#
# Steps on the GPU machine:
#   1. the GPU: `nvidia-smi` must list one; without it the script does a dry
#      run and exits 2 (`--dry-run` exits 0 after the same report);
#   2. the Vulkan loader: libvulkan.so.1 from ldconfig, else the Debian
#      packages in .gl/*.deb are unpacked into / (libvulkan1 at least;
#      bench/README.md says how to fetch them); the NVIDIA ICD file is
#      exported as VK_DRIVER_FILES when the driver left it outside the
#      loader's search path;
#   3. the artifacts: .gpu-check/artifacts.tar.xz (from --prepare; unpacked
#      by python3's tarfile where there is no xz), else a
#      release build with cargo (slower than the budget from a cold cache);
#   4. the tests `kernels` and `jit`, side by side (FOIL_REQUIRE_GPU=1: a
#      missing adapter fails), and beside them `kernels` built with the
#      bench's `vulkan` feature (a probe: are foil's kernels as accurate
#      when cubecl compiles them to SPIR-V itself? on lavapipe one edge
#      case is not), then `foil-bench --quick --section kernels --section training
#      --format json` (the training section's `ga_step_overhead_device` is
#      the MLP's GA step overhead on the GPU), then `foil-bench --section
#      kernels --kernel 'tanh GA' --format json` (the full plan's 64M
#      elements, which the HBM-peak goal `tanh_ga_fraction_of_peak` needs),
#      then foil-bandwidth (identity-copy bandwidth by launch shape,
#      tanh GA's step, and gelu_tanh SA's step at vector widths 1, 2 and 4,
#      GPU timestamps), then foil-bandwidth built with the
#      bench's `vulkan` feature (cubecl compiles the kernels to SPIR-V itself
#      instead of WGSL for naga: is the copy ceiling wgpu's or WGSL's?), and,
#      where python3 has torch, scripts/torch-reference.py (the same GPU's
#      copy and tanh GA through CUDA), each under `timeout`, all within
#      FOIL_GPU_CHECK_BUDGET_S (default 540);
#   5. bench/results/<UTC stamp>-<gpu>-wgpu-quick.json, -wgpu-peak.json
#      (foil-bench's reports), -bandwidth.json, -spirv-bandwidth.json,
#      -torch.json,
#      <stamp>-<gpu>-gpu-check.json (the GPU, the adapter foil-bench saw,
#      each step's exit status and seconds, the test logs' file names), and
#      the logs beside them (empty ones removed). It exits non-zero when a
#      step failed or the adapter wgpu picked is not the NVIDIA GPU
#      (lavapipe would give CPU figures). The SPIR-V steps are probes of a
#      path foil does not ship: their exit statuses are in the report
#      (`"probe": true`) and do not fail the run.
#
# Environment: FOIL_GPU_CHECK_DIR (artifact folder, default .gpu-check),
# FOIL_GPU_CHECK_RESULTS (default bench/results), FOIL_GPU_CHECK_BUDGET_S.
set -uo pipefail
cd "$(dirname "$0")/.."

mode=run
for arg in "$@"; do
  case "$arg" in
    --dry-run) mode=dry ;;
    --prepare) mode=prepare ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown argument '$arg' (--dry-run, --prepare, --help)" >&2; exit 64 ;;
  esac
done

art=${FOIL_GPU_CHECK_DIR:-.gpu-check}
results=${FOIL_GPU_CHECK_RESULTS:-bench/results}
budget=${FOIL_GPU_CHECK_BUDGET_S:-540}
tarball=$art/artifacts.tar.xz
say() { echo "gpu-check: $*"; }
# Unpacks the tarball into folder $1, or with a member name $2 prints that
# member instead: by tar and xz, else by python3's tarfile (a bare machine
# may lack xz; python3 reads it through its lzma module).
untar() {
  if command -v xz >/dev/null; then
    if [ -n "${2:-}" ]; then tar -xJOf "$tarball" "$2"; else tar -C "$1" -xJf "$tarball"; fi
  else
    python3 - "$tarball" "$1" "${2:-}" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    if sys.argv[3]:
        sys.stdout.buffer.write(t.extractfile(sys.argv[3]).read())
    else:
        try:
            t.extractall(sys.argv[2], filter="fully_trusted")
        except TypeError:  # before Python 3.12: no filters
            t.extractall(sys.argv[2])
PY
  fi
}
# What --prepare packs and a run unpacks.
binaries=(foil-bench foil-bandwidth kernels jit foil-bandwidth-spirv kernels-spirv)
# Steps whose failure is a finding about a path foil does not ship (cubecl's
# SPIR-V compiler), not a failure of the run.
probe_steps=" foil-bandwidth-spirv kernels-spirv-test "
# The tree's revision, "-dirty" when it has uncommitted changes.
revision_here() { git describe --always --dirty --abbrev=40 2>/dev/null; }

# The paths of the release test executables `cargo test` builds with
# arguments $@ (packages, features, tests), one per line.
test_executables() {
  cargo test --release "$@" --no-run --message-format=json | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p'
}

# The release binaries built here and copied into $1 under those names:
# foil-bench, foil-bandwidth and the kernels/jit test executables, then
# foil-bandwidth and the kernels test again with the `vulkan` feature
# (-spirv; built with foil-bench, whose feature turns cubecl's on for the
# whole build).
build_into() {
  local tests t release=${CARGO_TARGET_DIR:-target}/release
  cargo build --release --workspace --bin foil-bench --bin foil-bandwidth || return 1
  cp "$release/foil-bench" "$1/foil-bench"
  cp "$release/foil-bandwidth" "$1/foil-bandwidth"
  cargo build --release -p foil-bench --features vulkan --bin foil-bandwidth || return 1
  cp "$release/foil-bandwidth" "$1/foil-bandwidth-spirv"
  tests=$(test_executables --workspace --test kernels --test jit) || return 1
  for t in $tests; do
    case "$(basename "$t")" in
      kernels-*) cp "$t" "$1/kernels" ;;
      jit-*) cp "$t" "$1/jit" ;;
    esac
  done
  tests=$(test_executables -p foil-cli -p foil-bench --features foil-bench/vulkan --test kernels) || return 1
  for t in $tests; do
    case "$(basename "$t")" in kernels-*) cp "$t" "$1/kernels-spirv" ;; esac
  done
  for t in "${binaries[@]}"; do
    [ -x "$1/$t" ] || { say "no $t binary came out of the build"; return 1; }
  done
}

# --prepare: the binaries, stripped, in one tarball that the GPU machine
# unpacks. A device run of this workplace may carry 64 MiB with the checkout
# (21 MB on 2026-12-06): gzip packed the first four binaries into 44 MB
# (2026-12-04); xz packs the five into 34 MB (foil-bench 13 MB, where
# gzip took 21), the six with the SPIR-V kernels test into 41.9 MB
# (2026-12-06; 63.5 MB with the checkout's 21.6). A SPIR-V foil-bench
# (14 MB more) does not fit.
if [ "$mode" = prepare ]; then
  command -v cargo >/dev/null || { say "cargo not found: --prepare builds here"; exit 2; }
  command -v xz >/dev/null || { say "xz not found: --prepare packs the binaries with it"; exit 2; }
  mkdir -p "$art/bin"
  say "building foil-bench and the kernels/jit tests (release, --workspace)"
  build_into "$art/bin" || exit 1
  if command -v strip >/dev/null; then (cd "$art/bin" && strip "${binaries[@]}"); fi
  revision_here > "$art/bin/REVISION" || true
  tar -C "$art/bin" -cJf "$tarball" "${binaries[@]}" REVISION
  rm -rf "$art/bin"
  say "wrote $tarball ($(du -h "$tarball" | cut -f1)); carry $art (and .gl) to the GPU machine"
  exit 0
fi

# What is there: each check sets a reason to stop, or a plan line.
stop=
plan=()
gpu=
if ! command -v nvidia-smi >/dev/null; then
  stop="no NVIDIA GPU: nvidia-smi is not on PATH"
elif ! gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n1) || [ -z "$gpu" ]; then
  stop="no NVIDIA GPU: nvidia-smi lists none"
  gpu=
fi
plan+=("GPU: ${gpu:-none}")

unpack_gl=
# grep reads ldconfig's whole listing: `grep -q` would stop at the first
# match, and under pipefail ldconfig's SIGPIPE on its next write (a race
# that load decides) reads as "no loader".
if ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1' >/dev/null; then
  plan+=("Vulkan loader: libvulkan.so.1 is installed")
elif compgen -G ".gl/*.deb" >/dev/null; then
  unpack_gl=1
  plan+=("Vulkan loader: would unpack $(ls .gl/*.deb | tr '\n' ' ')into / and run ldconfig")
else
  plan+=("Vulkan loader: none installed and no .gl/*.deb to unpack")
  stop=${stop:-"no Vulkan loader: install libvulkan1, or put its .deb (and libvulkan1's dependencies) in .gl/"}
fi
icd=
for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$f" ] && { icd=$f; break; }
done
if [ -n "${VK_DRIVER_FILES:-}" ]; then
  plan+=("Vulkan driver: VK_DRIVER_FILES=$VK_DRIVER_FILES (set by the caller)")
elif [ -n "$icd" ]; then
  plan+=("Vulkan driver: would export VK_DRIVER_FILES=$icd")
else
  plan+=("Vulkan driver: no nvidia_icd.json found; the loader searches its default paths")
fi

build=
if [ -f "$tarball" ]; then
  plan+=("artifacts: would unpack $tarball ($(untar "" REVISION 2>/dev/null | cut -c1-12 || echo 'no revision')) into a temporary folder")
elif command -v cargo >/dev/null; then
  build=1
  plan+=("artifacts: none in $art; would build them (cargo build --release --workspace --bin foil-bench --bin foil-bandwidth, foil-bandwidth again with -p foil-bench --features vulkan; cargo test --release --workspace --test kernels --test jit --no-run, kernels again with the feature): from a cold cache this alone takes longer than the ${budget} s budget")
else
  plan+=("artifacts: none in $art and no cargo to build them")
  stop=${stop:-"no artifacts: run scripts/gpu-check.sh --prepare where cargo is, and carry $art"}
fi
slug=$(echo "${gpu:-no-gpu}" | tr -cs 'A-Za-z0-9' '-' | sed 's/-$//')
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
base=$results/$stamp-$slug
plan+=("run, side by side: FOIL_REQUIRE_GPU=1 kernels --test-threads=1 (log $base-kernels-test.txt), FOIL_REQUIRE_GPU=1 jit --test-threads=1 (log $base-jit-test.txt) and, a probe, FOIL_REQUIRE_GPU=1 kernels-spirv --test-threads=1 (log $base-kernels-spirv-test.txt)")
plan+=("run: foil-bench --quick --section kernels --section training --format json > $base-wgpu-quick.json")
plan+=("run: foil-bench --section kernels --kernel 'tanh GA' --format json > $base-wgpu-peak.json (64M elements: the HBM-peak goal)")
plan+=("run: foil-bandwidth > $base-bandwidth.json (identity-copy bandwidth by launch shape; tanh GA's step; gelu_tanh SA's step by vector width)")
plan+=("run: foil-bandwidth-spirv > $base-spirv-bandwidth.json (the same, kernels compiled to SPIR-V by cubecl; a probe)")
plan+=("run, where python3 has torch: scripts/torch-reference.py > $base-torch.json (CUDA copy and eager tanh GA on the same GPU)")
plan+=("write: $base-gpu-check.json (steps, exit statuses, seconds, the adapter); budget ${budget} s in all")

if [ "$mode" = dry ] || [ -n "$stop" ]; then
  say "dry run: this is what it would do"
  for p in "${plan[@]}"; do echo "  - $p"; done
  if [ -n "$stop" ]; then
    say "stops here: $stop"
  else
    say "stops here: --dry-run"
  fi
  # An explicit --dry-run succeeds; an automatic one (nothing to run on) fails.
  [ "$mode" = dry ] && exit 0
  exit 2
fi

# The real run.
mkdir -p "$results"
if [ -n "$unpack_gl" ]; then
  for f in .gl/*.deb; do dpkg -x "$f" / || { say "could not unpack $f"; exit 1; }; done
  ldconfig
fi
[ -z "${VK_DRIVER_FILES:-}" ] && [ -n "$icd" ] && export VK_DRIVER_FILES=$icd
# The HBM peak foil-bench states fractions of (used from 64M elements on).
case "$gpu" in *H200*) export FOIL_BENCH_PEAK_BYTES_PER_S=${FOIL_BENCH_PEAK_BYTES_PER_S:-4.8e12} ;; esac
bin=$(mktemp -d /tmp/foil-gpu-check.XXXXXX)
if [ -n "$build" ]; then
  say "building (no artifacts carried)"
  build_into "$bin" || exit 1
else
  untar "$bin" || { say "could not unpack $tarball"; exit 1; }
fi
# The budget counts from here (a build above is not in it).
t_start=$(date +%s)
left() { echo $(( budget - ($(date +%s) - t_start) )); }

# Each step leaves its record in $records (named by its start time), so that
# steps may also run in the background: the report is assembled at the end.
records=$(mktemp -d /tmp/foil-gpu-check-steps.XXXXXX)
step() { # name, seconds allowed, stdout file, stderr file ("" for the stdout file), command...
  local name=$1 limit=$2 out=$3 err=$4; shift 4
  local record=$records/$(date +%s%N)-$name
  local t0=$(date +%s) rc
  if [ "$limit" -le 5 ]; then
    rc=124
    echo "gpu-check: budget spent before $name" > "${err:-$out}"
  elif [ -z "$err" ]; then
    FOIL_REQUIRE_GPU=1 timeout "$limit" "$@" > "$out" 2>&1
    rc=$?
  else
    FOIL_REQUIRE_GPU=1 timeout "$limit" "$@" > "$out" 2> "$err"
    rc=$?
  fi
  local s=$(( $(date +%s) - t0 ))
  say "$name: exit $rc in ${s}s -> $out"
  local probe=false
  case "$probe_steps" in *" $name "*) probe=true ;; esac
  echo "{\"step\": \"$name\", \"exit\": $rc, \"seconds\": $s, \"output\": \"$(basename "$out")\", \"probe\": $probe}" > "$record"
}
# Each step may use what the later steps' shares leave it. On the H200
# (2026-12-04) the quick bench took 257 s, the peak run 48 s, foil-bandwidth
# and torch were not timed, and the tests took 26 and 25 s one after the
# other; all before the sweep shared its read-only buffers across cases,
# which took the kernel section on lavapipe from 300 s to 164–178 s and is
# not yet timed on a GPU. The shares after each step: quick bench 250 s, the
# peak run 50 s, each foil-bandwidth 35 s, torch 20 s. The three test binaries
# run side by side: they check values, not times, and each keeps its own log.
step kernels-test $(( $(left) - 390 )) "$base-kernels-test.txt" "" "$bin/kernels" --test-threads=1 --nocapture &
step kernels-spirv-test $(( $(left) - 390 )) "$base-kernels-spirv-test.txt" "" "$bin/kernels-spirv" --test-threads=1 --nocapture &
step jit-test $(( $(left) - 390 )) "$base-jit-test.txt" "" "$bin/jit" --test-threads=1 --nocapture
wait
# The quick sweep of every kernel, and the training step on the GPU; it may
# use all but the later steps' share. foil-bench's stderr (driver chatter)
# goes to its own log, not into the JSON.
step foil-bench $(( $(left) - 140 )) "$base-wgpu-quick.json" "$base-wgpu-quick.stderr.txt" \
  "$bin/foil-bench" --quick --section kernels --section training --format json
# The HBM-peak goal needs 64M elements, which only the full plan runs: tanh
# GA alone in the sweep (1M, 16M, 64M), and burn's comparisons at all three.
step foil-bench-peak $(( $(left) - 90 )) "$base-wgpu-peak.json" "$base-wgpu-peak.stderr.txt" \
  "$bin/foil-bench" --section kernels --kernel 'tanh GA' --format json
# Which launch shape copies fastest on this GPU (the kernels use width 4,
# 256 units, one vector per unit): the lever for the HBM-peak goal;
# tanh GA's step at 64M by the same timestamps; and gelu_tanh SA's step at
# 16M with 1, 2 and 4 elements per unit (compute-bound at a third of the
# copy's speed on the H200: do four elements' registers per unit cost it?).
step foil-bandwidth $(( $(left) - 55 )) "$base-bandwidth.json" /dev/stderr "$bin/foil-bandwidth"
# foil-bandwidth again, built with the `vulkan` feature: cubecl compiles the
# copy and foil's tanh GA to SPIR-V itself, with buffers addressed through
# 64-bit pointers, instead of WGSL that naga translates. On lavapipe that
# path was slower (2026-12-06, a full sweep of each: foil's kernels took a
# median 1.53× the WGSL build's time, the copy 1.58×; bench/README.md):
# whether NVIDIA's driver copies faster from it is what this measures.
step foil-bandwidth-spirv $(( $(left) - 20 )) "$base-spirv-bandwidth.json" /dev/stderr "$bin/foil-bandwidth-spirv"
# The same GPU through CUDA (PyTorch, where the machine's python3 has it): the
# copy ceiling and tanh's GA as eager ops, beside foil's wgpu figures.
if python3 -c 'import torch' 2>/dev/null; then
  step torch-reference $(( $(left) > 25 ? 20 : 0 )) "$base-torch.json" /dev/stderr python3 scripts/torch-reference.py
fi
ok=1
adapter=$(sed -n 's/^ *"device": "\(.*\)",\{0,1\}$/\1/p' "$base-wgpu-quick.json" | head -n1)
case "$adapter" in
  *NVIDIA*|*nvidia*|*"${gpu:-@}"*) ;;
  *) ok=0; say "the adapter foil-bench used is not the NVIDIA GPU: '${adapter:-none}'" ;;
esac
steps=()
for r in "$records"/*; do
  record=$(cat "$r")
  steps+=("$record")
  case "$record" in *'"exit": 0,'* | *'"probe": true'*) ;; *) ok=0 ;; esac
done
rm -rf "$records"
revision=$(revision_here || cat "$bin/REVISION" 2>/dev/null)
rm -rf "$bin"
{
  echo "{"
  echo "  \"gpu\": \"$gpu\","
  echo "  \"adapter\": \"$(echo "$adapter" | sed 's/"/\\"/g')\","
  echo "  \"revision\": \"$revision\","
  echo "  \"budget_s\": $budget,"
  echo "  \"seconds\": $(( $(date +%s) - t_start )),"
  echo "  \"ok\": $([ $ok = 1 ] && echo true || echo false),"
  echo "  \"steps\": ["
  for i in "${!steps[@]}"; do echo "    ${steps[$i]}$([ "$i" -lt $(( ${#steps[@]} - 1 )) ] && echo ,)"; done
  echo "  ]"
  echo "}"
} > "$base-gpu-check.json"
# Empty logs say nothing; fewer files also fit a device tool's return limit.
find "$results" -maxdepth 1 -name "$(basename "$base")-*.stderr.txt" -size 0 -delete
say "wrote $base-gpu-check.json (ok: $([ $ok = 1 ] && echo true || echo false))"
[ $ok = 1 ]
