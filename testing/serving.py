"""Local servers the tests and scripts start: a free port, waiting for an answer, Datasette."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class NotServing(RuntimeError):
    """A server started for a test exited, or never answered."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(url: str, server: subprocess.Popen[bytes], name: str,
                       log: Path | None = None, timeout: float = 60.0) -> None:
    """Until `url` answers 200; `server` exiting first, or the timeout, is NotServing (with
    the server's log, when it writes one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = f":\n{log.read_text(errors='replace')}" if log is not None else ""
            raise NotServing(f"{name} exited early{output}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise NotServing(f"{name} did not answer {url} within {timeout:.0f} s")


def datasette_command(db: Path, port: int) -> list[str]:
    """`datasette serve` of an archive with the project's metadata, plugins and templates."""
    folder = ROOT / "datasette"
    return [sys.executable, "-m", "datasette", "serve", str(db),
            "-m", str(folder / "metadata.yml"), "--plugins-dir", str(folder / "plugins"),
            "--template-dir", str(folder / "templates"), "-h", "127.0.0.1", "-p", str(port)]
