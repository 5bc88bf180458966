"""Static HTTP server for an offline site mirror on 127.0.0.1, optionally injecting faults."""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import logging
import mimetypes
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from archiver.faults import Fault, FaultPlan, garbage, pad, reencode

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
# Request headers a test may want to assert on (politeness, conditional re-fetching).
LOGGED_HEADERS = (
    "User-Agent",
    "If-None-Match",
    "If-Modified-Since",
    "Accept-Encoding",
    "Referer",
)
_DEFAULT_INDEX = ("index.html", "index.xml")
_DEFAULT_TYPES = {
    ".html": "text/html; charset=UTF-8",
    ".xml": "application/xml; charset=UTF-8",
    ".txt": "text/plain; charset=UTF-8",
}
_HTML = "text/html; charset=UTF-8"


@dataclass(frozen=True)
class SiteConfig:
    """How to serve one mirror directory, read from its `site.json` (all keys optional)."""

    root: Path
    placeholder: str | None
    index_names: tuple[str, ...]
    # (key, type), longest key first so `feed/index.xml` beats `.xml`.
    content_types: tuple[tuple[str, str], ...]

    @classmethod
    def load(cls, root: Path) -> SiteConfig:
        """Read `root/site.json` if present; a bare directory is served with defaults."""
        root = root.resolve(strict=True)
        if not root.is_dir():
            raise NotADirectoryError(f"mirror root is not a directory: {root}")
        meta: dict[str, Any] = {}
        if (root / "site.json").is_file():
            meta = json.loads((root / "site.json").read_text(encoding="utf-8"))
        types = dict(meta.get("content_types") or _DEFAULT_TYPES)
        return cls(
            root=root,
            placeholder=meta.get("base_placeholder"),
            index_names=tuple(meta.get("directory_index") or _DEFAULT_INDEX),
            content_types=tuple(sorted(types.items(), key=lambda kv: -len(kv[0]))),
        )

    def content_type(self, rel: str) -> str:
        """Content type for a root-relative file path; extension keys and path-suffix keys."""
        for key, value in self.content_types:
            if key.startswith("."):
                if rel.endswith(key):
                    return value
            elif rel == key or rel.endswith("/" + key):
                return value
        guessed, _ = mimetypes.guess_type(rel)
        return guessed or "application/octet-stream"


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it; `status` is None when the connection was reset."""

    method: str
    path: str
    status: int | None
    headers: Mapping[str, str]
    fault: str | None = None


@dataclass(frozen=True)
class _Found:
    """A file to serve, or a redirect to the slash form of a directory path."""

    file: Path | None = None
    redirect: str | None = None


def locate(site: SiteConfig, url_path: str) -> _Found | None:
    """Map a decoded URL path to a file under the root the way WordPress URLs behave, or None."""
    if not url_path.startswith("/") or "\x00" in url_path or "\\" in url_path:
        return None
    segments = url_path.split("/")[1:]
    trailing = segments[-1] == ""
    inner = segments[:-1] if trailing else segments
    # Empty, `.` and `..` segments could name a file twice or escape the root; none is real.
    if any(seg in ("", ".", "..") for seg in inner):
        return None
    target = site.root.joinpath(*inner)
    try:
        target = target.resolve()
    except OSError:
        return None
    if not target.is_relative_to(site.root) or target == site.root / "site.json":
        return None
    if trailing:
        if not target.is_dir():
            return None
        for name in site.index_names:
            if (target / name).is_file():
                return _Found(file=target / name)
        return None
    if target.is_file():
        return _Found(file=target)
    if target.is_dir():
        return _Found(redirect=url_path + "/")
    return None


def split_target(target: str) -> tuple[str, str]:
    """Path and query of a request target; `//x` is a path here, not a network location."""
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    path, _, query = target.partition("?")
    return path.partition("#")[0], query


def is_text(content_type: str) -> bool:
    """Whether a response body is text, so the base placeholder in it must be rewritten."""
    base = content_type.split(";", 1)[0].strip().lower()
    return base.startswith("text/") or base.endswith(("xml", "json", "javascript"))


def etag_for(body: bytes) -> str:
    """A strong validator for exactly these bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(inm: str | None, ims: str | None, etag: str, mtime: float | None) -> bool:
    """RFC 9110 conditional GET: If-None-Match decides when present, else If-Modified-Since."""
    if inm is not None:
        tags = [tag.strip().removeprefix("W/") for tag in inm.split(",")]
        return "*" in tags or etag in tags
    if ims is None or mtime is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return int(mtime) <= since.timestamp()


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
        self._httpd = _HTTPServer((HOST, port), self)
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


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], mirror: MirrorServer) -> None:
        self.mirror = mirror
        super().__init__(address, _Handler)

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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ldv-mirror/1"
    # Idle keep-alive connections must not pin handler threads for ever.
    timeout = 30

    @property
    def mirror(self) -> MirrorServer:
        return cast(_HTTPServer, self.server).mirror

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        self._not_allowed()

    do_PUT = do_DELETE = do_PATCH = do_POST

    # -- responses -------------------------------------------------------------------------

    def _logged_headers(self) -> dict[str, str]:
        return {name: value for name in LOGGED_HEADERS if (value := self.headers.get(name))}

    def _record(self, status: int | None, fault: Fault | None) -> None:
        # Logged before the response is written, so a client that has its answer sees the entry.
        self.mirror.record(
            LoggedRequest(
                method=self.command,
                path=self.path,
                status=status,
                headers=self._logged_headers(),
                fault=None if fault is None else fault.kind,
            )
        )

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        *,
        head: bool,
        fault: Fault | None = None,
        extra: Mapping[str, str] | None = None,
        close: bool = False,
    ) -> None:
        self._record(status, fault)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _error(
        self,
        status: int,
        *,
        head: bool,
        fault: Fault | None = None,
        extra: Mapping[str, str] | None = None,
        close: bool = False,
    ) -> None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        body = f"<html><body><h1>{status} {phrase}</h1></body></html>\n".encode()
        self._send(status, body, _HTML, head=head, fault=fault, extra=extra, close=close)

    def _not_allowed(self) -> None:
        # The request body is never read, so the connection cannot be reused.
        self._error(405, head=False, extra={"Allow": "GET, HEAD"}, close=True)

    def _redirect(self, location: str, status: int, *, head: bool, fault: Fault | None) -> None:
        if location.startswith("/"):
            location = self.mirror.base_url + location
        self._error(status, head=head, fault=fault, extra={"Location": location})

    def _page(
        self,
        body: bytes,
        content_type: str,
        mtime: float | None,
        *,
        head: bool,
        fault: Fault | None = None,
        status: int = 200,
    ) -> None:
        """Send a page with validators, answering a matching conditional request with 304."""
        etag = etag_for(body)
        validators = {"ETag": etag}
        if mtime is not None:
            validators["Last-Modified"] = email.utils.formatdate(mtime, usegmt=True)
        if status == 200 and not_modified(
            self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), etag, mtime
        ):
            self._record(304, fault)
            self.send_response(304)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self._send(status, body, content_type, head=head, fault=fault, extra=validators)

    def _reset(self, fault: Fault) -> None:
        """Drop the connection with a TCP RST and no response at all."""
        self._record(None, fault)
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The socket's fd stays open while rfile (a makefile) refers to it.
        self.rfile.close()
        self.connection.close()

    def _truncate(self, body: bytes, content_type: str, fault: Fault, *, head: bool) -> None:
        """Promise the full Content-Length, send part of the body, then hang up."""
        keep = len(body) // 2 if fault.keep_bytes is None else min(fault.keep_bytes, len(body))
        self._record(200, fault)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body[:keep])
        self.close_connection = True

    # -- dispatch --------------------------------------------------------------------------

    def _serve(self, *, head: bool) -> None:
        mirror = self.mirror
        site = mirror.site
        raw_path, query = split_target(self.path)
        url_path = unquote(raw_path)
        plan = mirror.faults
        fault = None if plan is None else plan.take(url_path)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        if fault is not None and self._answer_without_file(fault, site, url_path, head=head):
            return

        found = locate(site, url_path)
        if found is None:
            self._error(404, head=head, fault=fault)
            return
        if found.redirect is not None:
            location = raw_path + "/" + (f"?{query}" if query else "")
            self._redirect(location, 301, head=head, fault=fault)
            return
        assert found.file is not None
        rel = found.file.relative_to(site.root).as_posix()
        content_type = site.content_type(rel)
        body = self._rewrite(site, found.file.read_bytes(), content_type)
        mtime = mirror.mtime(found.file)

        if fault is not None and fault.kind == "truncate":
            self._truncate(body, content_type, fault, head=head)
            return
        if fault is not None and fault.kind == "encoding" and is_text(content_type):
            body = reencode(body, fault.charset)
            base = content_type.split(";", 1)[0]
            label = fault.label or fault.charset
            content_type = f"{base}; charset={label}" if fault.declare else base
        elif fault is not None and fault.kind == "huge":
            body = pad(body, fault.megabytes)
        self._page(body, content_type, mtime, head=head, fault=fault)

    def _answer_without_file(
        self, fault: Fault, site: SiteConfig, url_path: str, *, head: bool
    ) -> bool:
        """Apply a fault that replaces the normal answer; False lets the file be served."""
        if fault.kind == "reset":
            self._reset(fault)
        elif fault.kind in ("status", "rate_limit"):
            extra = {}
            retry_after = fault.effective_retry_after()
            if retry_after is not None:
                extra["Retry-After"] = str(retry_after)
            self._error(fault.effective_status(), head=head, fault=fault, extra=extra)
        elif fault.kind in ("redirect", "redirect_loop"):
            assert fault.to is not None
            location = self._rewrite_text(site, fault.to)
            self._redirect(location, fault.effective_status(), head=head, fault=fault)
        elif fault.kind == "replace":
            assert fault.body is not None
            content_type = fault.content_type or self._type_for(site, url_path)
            body = self._rewrite(site, fault.body.encode("utf-8"), content_type)
            found = locate(site, url_path)
            file = None if found is None else found.file
            mtime = self.mirror.mtime(file)
            status = fault.effective_status()
            self._page(body, content_type, mtime, head=head, fault=fault, status=status)
        elif fault.kind == "garbage":
            found = locate(site, url_path)
            original = b""
            if found is not None and found.file is not None:
                original = self._rewrite(site, found.file.read_bytes(), _HTML)
            self._page(garbage(fault, original), _HTML, None, head=head, fault=fault)
        else:
            return False
        return True

    @staticmethod
    def _type_for(site: SiteConfig, url_path: str) -> str:
        found = locate(site, url_path)
        if found is None or found.file is None:
            return _HTML
        return site.content_type(found.file.relative_to(site.root).as_posix())

    def _rewrite(self, site: SiteConfig, body: bytes, content_type: str) -> bytes:
        if site.placeholder is None or not is_text(content_type):
            return body
        return body.replace(site.placeholder.encode(), self.mirror.base_url.encode())

    def _rewrite_text(self, site: SiteConfig, text: str) -> str:
        if site.placeholder is None:
            return text
        return text.replace(site.placeholder, self.mirror.base_url)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: serve a mirror directory until killed."""
    parser = argparse.ArgumentParser(
        prog="python -m archiver.mirror", description="Serve an offline site mirror on 127.0.0.1."
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
