#!/usr/bin/env bash
# Builds the client package and the example's runnable jar with Maven.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

jar=example/target/cordyna-example-java.jar
# Maven re-shades the jar on every run; skip it when no input changed.
if [[ -f $jar && -z $(find pom.xml client/pom.xml example/pom.xml client/src example/src \
    -newer "$jar" -print -quit) ]]; then
  exit 0
fi

# Even -q leaves stray terminal escapes on some Maven builds: show output only on failure.
if ! log=$(mvn -q -B -f pom.xml package -DskipTests 2>&1); then
  printf '%s\n' "$log" >&2
  exit 1
fi
