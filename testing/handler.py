"""The request handler: a file from the site, or the fault the plan says, logged per request."""

from __future__ import annotations

import email.utils
import logging
import socket
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

from testing.bodies import garbage, pad, reencode
from testing.faults import Fault
from testing.site import (
    HTML,
    SiteConfig,
    content_type_for,
    etag_for,
    is_text,
    locate,
    not_modified,
    rewrite,
    rewrite_text,
    split_target,
)

if TYPE_CHECKING:
    from testing.server import MirrorHTTPServer, MirrorServer

logger = logging.getLogger(__name__)

# Request headers a test may want to assert on (politeness, conditional re-fetching).
LOGGED_HEADERS = (
    "User-Agent",
    "If-None-Match",
    "If-Modified-Since",
    "Accept-Encoding",
    "Referer",
)


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it; `status` is None when the connection was reset."""

    method: str
    path: str
    status: int | None
    headers: Mapping[str, str]
    fault: str | None = None


class MirrorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ldv-mirror/1"
    # Idle keep-alive connections must not pin handler threads for ever.
    timeout = 30

    @property
    def mirror(self) -> MirrorServer:
        return cast("MirrorHTTPServer", self.server).mirror

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
        self._send(status, body, HTML, head=head, fault=fault, extra=extra, close=close)

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
        body = rewrite(site, self.mirror.base_url, found.file.read_bytes(), content_type)
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
            location = rewrite_text(site, self.mirror.base_url, fault.to)
            self._redirect(location, fault.effective_status(), head=head, fault=fault)
        elif fault.kind == "replace":
            assert fault.body is not None
            content_type = fault.content_type or content_type_for(site, url_path)
            body = rewrite(site, self.mirror.base_url, fault.body.encode("utf-8"), content_type)
            found = locate(site, url_path)
            file = None if found is None else found.file
            mtime = self.mirror.mtime(file)
            status = fault.effective_status()
            self._page(body, content_type, mtime, head=head, fault=fault, status=status)
        elif fault.kind == "garbage":
            found = locate(site, url_path)
            original = b""
            if found is not None and found.file is not None:
                original = rewrite(site, self.mirror.base_url, found.file.read_bytes(), HTML)
            self._page(garbage(fault, original), HTML, None, head=head, fault=fault)
        else:
            return False
        return True
