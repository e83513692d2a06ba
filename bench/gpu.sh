#!/usr/bin/env bash
# The GPU speed check (issue 16), for a session lent the device machine (no Node.js, no registry):
#
#   bench/gpu.sh prepare   # here: bundle bench/gpu-train.ts, pack Node (xz) and Dawn's dawn.node
#                          # into .gpubench/ (about 50 MB), and fetch the Vulkan loader debs to .gl/
#   run tool, carry [".gpubench", ".gl"], timeout_s 540 (six runs of at most 80 s):
#     bash bench/gpu.sh device
#                          # there: unpack, train on webgpu (transformer tiny/default/10m, BiLSTM seed/default),
#                          # JSON lines to $OUT/gpu.jsonl
#   bench/gpu.sh cpu       # here: the same architectures on the CPU engine, for the ratio
#
# Write the figures, with the adapter's name, in docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
case "$mode" in
  prepare)
    rm -rf .gpubench && mkdir -p .gpubench/node_modules/webgpu/dist/linux-x64
    # CommonJS, so the CPU path's native modules (koffi, onnxruntime) are required only if it runs.
    npx esbuild bench/gpu-train.ts --bundle --platform=node --format=cjs --target=node20 --log-level=error \
      --external:webgpu --external:koffi --external:onnxruntime-node --external:@tensorflow/tfjs-node \
      --external:@tensorflow/tfjs-node-gpu --external:@tensorflow/tfjs-backend-wasm --outfile=.gpubench/gpu-train.cjs
    cp node_modules/webgpu/index.js node_modules/webgpu/package.json .gpubench/node_modules/webgpu/
    cp node_modules/webgpu/dist/linux-x64/dawn.node .gpubench/node_modules/webgpu/dist/linux-x64/
    xz -9 -T0 -c "$(command -v node)" >.gpubench/node.xz
    if [ ! -d .gl ]; then
      # The Vulkan loader (libvulkan1) and GL dispatch libraries, as the device tool's README says.
      mkdir -p .gl /tmp/amd64/partial
      o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
      # shellcheck disable=SC2086
      apt-get $o update -qq && (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
    fi
    du -sh .gpubench .gl
    ;;
  device)
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
    if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && [ -z "${VK_DRIVER_FILES:-}" ]; then
      export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    fi
    xz -dc .gpubench/node.xz >/tmp/node && chmod +x /tmp/node
    export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
    out="${OUT:-.}/gpu.jsonl"
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
    for run in "transformer tiny 20 16" "transformer default 20 16" "transformer 10m 10 16" "transformer 10m 10 64" "lstm seed 20 64" "lstm default 20 64"; do
      set -- $run
      timeout 80 /tmp/node .gpubench/gpu-train.cjs --model "$1" --backend webgpu --arch "$2" --steps "$3" --batch "$4" | tee -a "$out" ||
        echo "{\"model\":\"$1\",\"arch\":\"$2\",\"failed\":true}" | tee -a "$out"
    done
    ;;
  cpu)
    # BACKEND=wasm where the system BLAS does not load.
    for run in "transformer tiny 20 16" "transformer default 10 16" "transformer 10m 2 16" "lstm seed 10 64" "lstm default 5 64"; do
      set -- $run
      nice -n 19 npx tsx bench/gpu-train.ts --model "$1" --backend "${BACKEND:-blas}" --arch "$2" --steps "$3" --batch "$4"
    done
    ;;
  *)
    echo "usage: bench/gpu.sh prepare|device|cpu" >&2
    exit 2
    ;;
esac
