#!/usr/bin/env bash
# `buf breaking` against the contract at a git ref (a commit, a branch).
# buf's own git input cannot be used: the workspace there may need the
# .proto files scripts/proto-deps.sh fetches, which git does not hold. So
# the ref's files are taken with git archive, the fetched ones added, and
# the image built from both is what the working tree's image is compared with.
set -euo pipefail
cd "$(dirname "$0")/.."

ref=${1:?usage: buf-breaking.sh <git ref>}
bash scripts/proto-deps.sh
against=$(mktemp -d)
trap 'rm -rf "$against"' EXIT
git archive "$ref" | tar -x -C "$against"
mkdir -p "$against/.codegen"
cp -R .codegen/proto-deps "$against/.codegen/"
# Our files only, on both sides: the fetched ones are not ours to keep stable.
image() { npx --no-install buf build "$1" --path "$1/proto/cordyna" -o "$2"; }
image "$against" "$against/before.binpb"
image . "$against/now.binpb"
npx --no-install buf breaking "$against/now.binpb" --against "$against/before.binpb"
