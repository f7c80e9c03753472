#!/usr/bin/env bash
# Installs jaeger (v1.75.0, the v2 collector-based binary) into $(go env GOPATH)/bin,
# unless it is already there. `go install …@v1.75.0` refuses the module because its
# go.mod has replace directives, so it is built as the main module from the module cache.
set -euo pipefail
version=v1.75.0
bin="$(go env GOPATH)/bin/jaeger"
if [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -q "\"gitVersion\":\"${version}\""; then
  echo "jaeger ${version} already installed: $bin"
  exit 0
fi
dir=$(go mod download -json "github.com/jaegertracing/jaeger@${version}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || { echo "could not download github.com/jaegertracing/jaeger@${version}" >&2; exit 1; }
# The version is stamped as Jaeger's own build does, so the check above finds it next time.
(cd "$dir" && GOFLAGS=-modcacherw go build -trimpath \
  -ldflags "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=${version}" \
  -o "$bin" ./cmd/jaeger)
echo "jaeger ${version} built: $bin"
