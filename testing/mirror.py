"""Static HTTP server for an offline site mirror on 127.0.0.1, optionally injecting faults.

Re-exports the server (testing/server.py) and its request log (testing/handler.py; URL lookup
and validators are in testing/site.py), and is the command line:

    python -m testing.mirror tests/fixtures/ldv/site --port 8000 [--faults plan.json] [-v]
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime
from pathlib import Path

from testing.faults import FaultPlan
from testing.handler import LoggedRequest
from testing.server import MirrorServer, serve

__all__ = ["LoggedRequest", "MirrorServer", "main", "serve"]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: serve a mirror directory until killed."""
    parser = argparse.ArgumentParser(
        prog="python -m testing.mirror", description="Serve an offline site mirror on 127.0.0.1."
    )
    parser.add_argument("root", type=Path, help="mirror directory, e.g. tests/fixtures/ldv/site")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    parser.add_argument("--faults", type=Path, help="JSON fault plan keyed by URL path")
    parser.add_argument(
        "--last-modified",
        type=datetime.fromisoformat,
        help="fixed Last-Modified for every file (ISO 8601; naive means UTC), for stable tests",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each request")
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    plan = None if args.faults is None else FaultPlan.from_file(args.faults)
    with serve(args.root, faults=plan, port=args.port, last_modified=args.last_modified) as server:
        print(f"serving {args.root} at {server.base_url}", flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
