#!/usr/bin/env bash
# Installs the pinned code generators that buf.gen.yaml runs, into .codegen/.
# Every generator is local: the Buf Schema Registry is not reachable from
# where Cordyna is built. Each tool is fetched from its own language's
# registry once per version; later runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."

# protoc's own Java generator (Maven's com.google.protobuf:protoc 4.33.2 is libprotoc 33.2).
PROTOC_VERSION=4.33.2
GRPC_JAVA_VERSION=1.83.1
# protoc-gen-prost 0.5 and protoc-gen-tonic 0.5 generate for prost 0.14 and tonic 0.14.
PROST_PLUGINS_VERSION=0.5.0
# grpcio-tools carries both Python generators (libprotoc 35.1) and the gRPC one.
GRPCIO_TOOLS_VERSION=1.85.1

tools=.codegen
mkdir -p "$tools/bin" "$tools/stamps"

# Runs the install command after the tool's name unless its stamp says it is in place.
install_once() {
  local stamp="$tools/stamps/$1"
  shift
  if [ -f "$stamp" ]; then return 0; fi
  echo "codegen tools: installing ${stamp##*/}" >&2
  "$@"
  touch "$stamp"
}

maven_exe() {
  local artifact=$1 target=$2 downloads="$tools/maven"
  local log
  # Even -q leaves stray terminal escapes on some Maven builds: show output only on failure.
  if ! log=$(mvn -q -B -U dependency:copy -Dartifact="$artifact:exe:linux-x86_64" \
    -DoutputDirectory="$downloads" 2>&1); then
    printf '%s\n' "$log" >&2
    return 1
  fi
  local file="$downloads/$(echo "$artifact" | cut -d: -f2)-$(echo "$artifact" | cut -d: -f3)-linux-x86_64.exe"
  install -m 0755 "$file" "$tools/bin/$target"
}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "codegen tools: only linux-x86_64 binaries are pinned here; found $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

install_once "protoc-$PROTOC_VERSION" maven_exe "com.google.protobuf:protoc:$PROTOC_VERSION" protoc
install_once "protoc-gen-grpc-java-$GRPC_JAVA_VERSION" \
  maven_exe "io.grpc:protoc-gen-grpc-java:$GRPC_JAVA_VERSION" protoc-gen-grpc-java
install_once "prost-plugins-$PROST_PLUGINS_VERSION" \
  cargo install --quiet --locked --root "$tools" \
  "protoc-gen-prost@$PROST_PLUGINS_VERSION" "protoc-gen-tonic@$PROST_PLUGINS_VERSION"

python_tools() {
  rm -rf "$tools/venv"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "grpcio-tools==$GRPCIO_TOOLS_VERSION"
}
install_once "grpcio-tools-$GRPCIO_TOOLS_VERSION" python_tools
