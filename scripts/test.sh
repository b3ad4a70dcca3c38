#!/usr/bin/env bash
# The whole test suite: set up, build, static checks, then every test file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== lint (eslint, type-aware)"
npx eslint --max-warnings=0 .
echo "== dead code (knip)"
npx knip --no-progress
echo "== import cycles (dpdm)"
npx dpdm --no-warning --no-tree --exit-code circular:1 -T 'src/**/*.ts' >/dev/null
echo "== tests"
mapfile -t files < <(find dist -name '*.test.js' -not -path '*/node_modules/*' | sort)
node --test --test-reporter=spec --test-concurrency=2 "${files[@]}"
