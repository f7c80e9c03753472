#!/usr/bin/env bash
# Runs the example task-server built by build-example.sh. exec, so that
# signals sent to this script's PID reach the server itself.
set -euo pipefail
exec "$(dirname "$0")/target/release/cordyna-example-rust" "$@"
