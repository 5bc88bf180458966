#!/usr/bin/env bash
# Creates .venv-pywb with pywb, the replay server the replay tests start. It gets a venv of its
# own because pywb pins pyOpenSSL<26.2, werkzeug==3.1.7 and redis==2.10.6 and brings gevent:
# in .venv that would downgrade the pyOpenSSL and cryptography Scrapy runs on.
set -euo pipefail
cd "$(dirname "$0")/.."
PYWB_VERSION="2.10.0"
if [ -x .venv-pywb/bin/wayback ] \
   && .venv-pywb/bin/python -c "import pywb, sys; sys.exit(pywb.__version__ != '$PYWB_VERSION')"; then
  exit 0
fi
[ -x .venv-pywb/bin/python ] || python3 -m venv .venv-pywb
if ! .venv-pywb/bin/python -m pip install --quiet "pywb==$PYWB_VERSION" \
     > .venv-pywb/install.log 2>&1; then
  cat .venv-pywb/install.log >&2
  echo "error: installing pywb $PYWB_VERSION failed (log above, also in .venv-pywb/install.log)" >&2
  exit 1
fi
