#!/usr/bin/env bash
# Fetches the .proto files the contract imports but does not own into
# .codegen/, where buf.yaml finds them as a second module of the workspace:
# buf/validate/validate.proto (protovalidate), whose annotations declare the
# contract's limits. Taken from the Go module proxy, which carries the
# protovalidate repository as a Go module; later runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."

# The rules @bufbuild/protovalidate (npm), build.buf:protovalidate (Maven)
# and protovalidate (PyPI) enforce.
PROTOVALIDATE_VERSION=v1.2.2

target=.codegen/proto-deps/protovalidate
stamp="$target/.version"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$PROTOVALIDATE_VERSION" ]; then exit 0; fi

echo "proto deps: fetching protovalidate $PROTOVALIDATE_VERSION" >&2
module=$(GOFLAGS=-mod=mod go mod download -json "github.com/bufbuild/protovalidate@$PROTOVALIDATE_VERSION")
dir=$(printf '%s' "$module" | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s).Dir))')
rm -rf "$target"
mkdir -p "$target/buf/validate"
# Copied, not linked: the module cache is read-only and outside the workspace.
install -m 0644 "$dir/proto/protovalidate/buf/validate/validate.proto" "$target/buf/validate/"
echo "$PROTOVALIDATE_VERSION" >"$stamp"
