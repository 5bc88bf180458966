#!/usr/bin/env bash
# Quick start 1: install, serve the bundled mirror, crawl it into demo/archive.db, show the result.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python scripts/demo.py "$@"
