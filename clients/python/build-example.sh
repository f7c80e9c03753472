#!/usr/bin/env bash
# Installs the cordyna-client package, with its dependencies from PyPI, into
# .venv for the example. Does nothing when the installed package is current.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

python="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi

# The package is installed as a copy, so any change to what goes into it
# means installing it again.
stamp_file=.venv/cordyna-client.stamp
stamp="$(cat pyproject.toml py.typed README.md example/requirements.txt src/cordyna/v1/*.py src/cordyna/v1/*.pyi src/buf/validate/*.py src/buf/validate/*.pyi | sha256sum)"
if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]]; then
  exit 0
fi

.venv/bin/python -m pip install --quiet --disable-pip-version-check . -r example/requirements.txt
echo "$stamp" > "$stamp_file"
