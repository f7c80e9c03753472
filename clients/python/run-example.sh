#!/usr/bin/env bash
# Starts the example task-server; build it first with build-example.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ ! -x .venv/bin/python ]]; then
  echo "the example is not built: run $(pwd)/build-example.sh first" >&2
  exit 1
fi
exec .venv/bin/python example/task_server.py "$@"
