#!/usr/bin/env bash
# Runs the example task-server built by build-example.sh; exec keeps the PID,
# so SIGTERM reaches the JVM (and its drain) directly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
exec java -jar example/target/cordyna-example-java.jar "$@"
