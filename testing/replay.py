"""pywb serving a WACZ on 127.0.0.1 from a collection of its own, stopped by its process id.

pywb runs from `.venv-pywb` (scripts/pywb-venv.sh makes it): its pins would downgrade the
pyOpenSSL and cryptography Scrapy runs on. As a command, for a try by hand:

    python -m testing.replay archive.wacz [--port 8080]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from testing.serving import NotServing, free_port, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
PYWB_BIN = Path(os.environ.get("PYWB_VENV", ROOT / ".venv-pywb")) / "bin"
COLLECTION = "archive"


class ReplayError(Exception):
    """pywb is missing, would not take the WACZ, or did not start."""


@dataclass(frozen=True)
class ReplayServer:
    base_url: str
    pid: int
    log: Path

    def replay_url(self, url: str, timestamp: str = "") -> str:
        """pywb's framed replay of `url` as captured at `timestamp` (14 digits; empty: the
        capture nearest now), the URL a reader opens."""
        return f"{self.base_url}/{COLLECTION}/{timestamp}/{url}" if timestamp else \
            f"{self.base_url}/{COLLECTION}/{url}"


def pywb_tool(name: str) -> Path:
    tool = PYWB_BIN / name
    if not tool.exists():
        raise ReplayError(f"{tool} is missing; run scripts/pywb-venv.sh")
    return tool


def make_collection(wacz: Path, folder: Path) -> None:
    """`wb-manager` makes the collection and adds the WACZ: its WARCs and its own index."""
    for command in (["init", COLLECTION], ["add", "--unpack-wacz", COLLECTION, str(wacz)]):
        done = subprocess.run([str(pywb_tool("wb-manager")), *command], cwd=folder,
                              capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise ReplayError(f"wb-manager {' '.join(command)} failed:\n{done.stderr}")


def stop(pid: int, server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to pywb's own process id, SIGKILL if it lingers."""
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        server.wait()


@contextmanager
def serve_wacz(wacz: Path, folder: Path, port: int = 0) -> Iterator[ReplayServer]:
    """pywb's `wayback` serving `wacz` from a collection made in `folder`, bound to
    127.0.0.1 only."""
    make_collection(wacz, folder)
    port = port or free_port()
    log = folder / "pywb.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(pywb_tool("wayback")), "--bind", "127.0.0.1", "--port", str(port),
             "--directory", str(folder)],
            cwd=folder, stdout=output, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(f"{base_url}/{COLLECTION}/", server, "pywb", log)
        except NotServing as exc:
            raise ReplayError(str(exc)) from None
        yield ReplayServer(base_url, server.pid, log)
    finally:
        stop(server.pid, server)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testing.replay",
                                     description="Serve a WACZ with pywb on 127.0.0.1.")
    parser.add_argument("wacz", type=Path)
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    # A SIGTERM unwinds as Ctrl-C does, so pywb is stopped and the folder removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="pywb-") as folder, \
            serve_wacz(args.wacz.resolve(), Path(folder), args.port) as server:
        print(f"replaying {args.wacz} at {server.base_url}/{COLLECTION}/", flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
