#!/usr/bin/env bash
# Installs what hostplane needs on a Debian machine (idempotent) and builds it.
# Debian packages need root; without root, missing ones are listed and skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v git >/dev/null 2>&1 || need+=(git)
command -v nix-instantiate >/dev/null 2>&1 || need+=(nix-bin)
# The host-contract probes drive these; its tests skip (with a reason) without them.
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v wg >/dev/null 2>&1 || need+=(wireguard-tools)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
# Test hosts check reachability with ping.
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${need[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: missing ${need[*]}; run as root (or apt-get install them) — tests that need them will skip" >&2
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js >= 20.19 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 2
fi

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.hostplane-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
npm run --silent build
