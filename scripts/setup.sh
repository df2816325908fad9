#!/usr/bin/env bash
# One-time setup on a fresh machine: pnpm (the version pinned in package.json),
# the system packages the WebGPU tests need (Vulkan loader + Debian chromium's
# SwiftShader driver; installed only when missing and when we are root), and the
# workspace dependencies. Dependency build scripts stay disabled, so nothing
# downloads CUDA binaries or browsers.
set -euo pipefail
cd "$(dirname "$0")/.."

want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$want_pnpm" ]; then
  npm install -g "pnpm@${want_pnpm}" >/dev/null
fi

if [ ! -f /usr/lib/chromium/vk_swiftshader_icd.json ] || ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing libvulkan1 and chromium (SwiftShader WebGPU for tests)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvulkan1 chromium >/dev/null
  else
    echo "setup: libvulkan1/chromium missing and not root: WebGPU tests will be skipped"
  fi
fi

pnpm install --frozen-lockfile
