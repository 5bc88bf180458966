"""Failures are data: how a page that could not be archived is described and filed."""

from __future__ import annotations

import re

from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archiver.signals import PageFailure

# Request meta: the URL a failure of this request is filed under, when it is not the request's
# own (a comment page files its failure under its article, the URL the next run can retry).
FAILURE_URL_META = "archiver_failure_url"


class Refused(IgnoreRequest):
    """A response the archiver will not use as a page; the message says why."""

    def __init__(self, response: Response, reason: str) -> None:
        super().__init__(reason)
        self.response = response


def failure_url(request: Request) -> str:
    """The URL a failure of `request` is filed under: the one the spider asked for.

    That is the article a comment page belongs to, else the URL before any redirect, so the
    next run's retry and a later success (which resolves by article URL) find the row.
    """
    explicit = request.meta.get(FAILURE_URL_META)
    if explicit:
        return str(explicit)
    chain = request.meta.get("redirect_urls") or [request.url]
    return str(chain[0])


def describe(error: BaseException | None,
             request: Request | None = None) -> tuple[str, int | None]:
    """A one-line reason a person can act on, and the HTTP status if there was a response."""
    if error is None:
        return "unknown error", None
    if isinstance(error, Refused):
        return str(error), error.response.status
    if isinstance(error, HttpError):
        response = error.response
        reason = f"HTTP {response.status}"
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            reason += f" (Retry-After: {retry_after.decode('latin-1')})"
        return reason, response.status
    timeout = None if request is None else request.meta.get("download_timeout")
    messages: list[tuple[type[BaseException], str]] = [
        (DownloadTimeoutError, f"timed out: no complete response within {timeout} s"),
        (ResponseDataLossError, "body cut short: fewer bytes arrived than Content-Length"),
        (DownloadConnectionRefusedError, "connection refused"),
        (CannotResolveHostError, "host name not found"),
    ]
    for kind, message in messages:
        if isinstance(error, kind):
            return message, None
    if isinstance(error, DownloadFailedError):
        # Twisted's reasons (ConnectionLost, ConnectionDone, ResponseNeverReceived, ...) vary
        # with timing for the same fault; the one fact is that no whole response arrived.
        return "connection lost before a whole response arrived", None
    if isinstance(error, DownloadCancelledError):
        sizes = re.search(r"receive (\d+) bytes .* max size \((\d+)\)", str(error))
        if sizes:
            return (f"response larger than DOWNLOAD_MAXSIZE ({sizes[1]} > {sizes[2]} bytes); "
                    "not downloaded"), None
        return re.sub(r" in request <[^>]*>", "", str(error)).rstrip("."), None
    text = str(error).strip()
    return (f"{type(error).__name__}: {text}" if text else type(error).__name__), None


def page_failure(failure: Failure) -> PageFailure:
    """The failure record for an errback's `failure` (download error, HTTP error, refusal)."""
    request: Request = failure.request  # type: ignore[attr-defined]
    reason, status = describe(failure.value, request)
    url = failure_url(request)
    if request.meta.get(FAILURE_URL_META) and url != request.url:
        reason = f"{reason} (at {request.url})"
    return PageFailure(url, reason, status, request.meta.get("retry_times", 0) + 1)


