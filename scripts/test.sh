#!/usr/bin/env bash
# Quick start 2: install the project with its test extras (and Chromium when root), run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  bash scripts/install-wordpress.sh >/dev/null 2>&1 || true   # the live WordPress test bed
fi
# pywb (the replay test's server) in .venv-pywb: its pins would break Scrapy's in .venv.
bash scripts/pywb-venv.sh || echo "warning: pywb is not installed; the replay test will fail" >&2
exec .venv/bin/python -m pytest "$@"
