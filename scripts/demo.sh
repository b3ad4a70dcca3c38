#!/usr/bin/env bash
# Quick start, the main job: set up and build, then `hostplane sandbox up` — a
# local fleet (test hosts with their own Nix stores, a signed local cache, a
# server on SQLite, an agent per host) that rolls generation 2 out canary-first
# while you watch, and stays running afterwards. Root only. Arguments go to
# `sandbox up` (e.g. --hosts 8 --bake 5s). The guard demo is scripts/guard-demo.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
echo "+ hostplane sandbox up $*"
exec node bin/hostplane.js sandbox up "$@"
