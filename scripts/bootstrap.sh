#!/usr/bin/env bash
# Creates .venv and installs the project with the given extras; shared by the demo and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
target="."
[ -n "${1:-}" ] && target=".[$1]"
[ -x .venv/bin/python ] || python3 -m venv .venv
# pip's build chatter goes to a log, shown only when the install fails.
if ! { .venv/bin/python -m pip install --quiet --upgrade pip \
       && .venv/bin/python -m pip install --quiet -e "$target"; } > .venv/install.log 2>&1; then
  cat .venv/install.log >&2
  echo "error: installing $target failed (log above, also in .venv/install.log)" >&2
  exit 1
fi
