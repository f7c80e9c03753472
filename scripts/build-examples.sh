#!/usr/bin/env bash
# Builds the client package and example task-server of every language in
# clients/, each from its own registry, for the traces and interop tests and
# the conformance runs. Fast when they are already built.
set -euo pipefail
cd "$(dirname "$0")/.."

for lang in rust java python; do
  echo "building the $lang example" >&2
  bash "clients/$lang/build-example.sh"
done
