#!/usr/bin/env bash
# The guard demo: set up, then run guard over the bundled example fleet.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
echo "+ hostplane guard examples/fleet"
node bin/hostplane.js guard examples/fleet
code=$?
if [ "$code" = 1 ]; then
  echo
  echo "(exit code 1: the example fleet contains deliberate mistakes; examples/fleet/modules is clean —"
  echo " try: node bin/hostplane.js guard examples/fleet/modules)"
  exit 0
fi
exit "$code"
