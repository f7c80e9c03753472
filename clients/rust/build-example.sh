#!/usr/bin/env bash
# Builds the cordyna-client package and the example task-server, from the
# committed Cargo.lock, into target/release.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --locked --quiet
