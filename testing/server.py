"""The mirror server: one site on 127.0.0.1 in a daemon thread, with its request log and faults."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from typing import Any

from testing.faults import FaultPlan
from testing.handler import LoggedRequest, MirrorHandler
from testing.site import SiteConfig

HOST = "127.0.0.1"


class MirrorServer:
    """A threaded static server for one mirror root, with a request log and optional faults."""

    def __init__(
        self,
        root: Path,
        *,
        faults: FaultPlan | None = None,
        port: int = 0,
        last_modified: datetime | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._site = SiteConfig.load(root)
        self._faults = faults
        self._log: list[LoggedRequest] = []
        if last_modified is not None and last_modified.tzinfo is None:
            last_modified = last_modified.replace(tzinfo=UTC)
        self._fixed_mtime = None if last_modified is None else last_modified.timestamp()
        self._httpd = MirrorHTTPServer((HOST, port), self)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """Origin of the server, no trailing slash, e.g. `http://127.0.0.1:54321`."""
        return f"http://{HOST}:{self.port}"

    @property
    def root(self) -> Path:
        return self.site.root

    @property
    def site(self) -> SiteConfig:
        with self._lock:
            return self._site

    @property
    def faults(self) -> FaultPlan | None:
        with self._lock:
            return self._faults

    @property
    def requests(self) -> list[LoggedRequest]:
        """A snapshot of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def set_root(self, root: Path) -> None:
        """Serve another mirror directory (e.g. day 2) from now on, on the same port."""
        site = SiteConfig.load(root)
        with self._lock:
            self._site = site

    def set_faults(self, faults: FaultPlan | None) -> None:
        with self._lock:
            self._faults = faults

    def mtime(self, file: Path | None) -> float | None:
        """Last-Modified time: the fixed date if one was given, else the file's mtime."""
        if self._fixed_mtime is not None:
            return self._fixed_mtime
        return None if file is None else file.stat().st_mtime

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    def start(self) -> None:
        # A short poll keeps shutdown quick; tests start and stop many servers.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"mirror-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()


@contextmanager
def serve(
    root: Path,
    *,
    faults: FaultPlan | None = None,
    port: int = 0,
    last_modified: datetime | None = None,
) -> Iterator[MirrorServer]:
    """Serve `root` on 127.0.0.1 (port 0 picks a free one) in a daemon thread."""
    server = MirrorServer(root, faults=faults, port=port, last_modified=last_modified)
    server.start()
    try:
        yield server
    finally:
        server.close()


class MirrorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], mirror: MirrorServer) -> None:
        self.mirror = mirror
        super().__init__(address, MirrorHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup for the name; offline it can stall.
        TCPServer.server_bind(self)
        self.server_name = HOST
        self.server_port = int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (timeouts, slow/huge faults) is expected, not a server bug.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)
