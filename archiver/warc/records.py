"""Scrapy's requests and answers as WARC records, and answers rebuilt from those records."""

from __future__ import annotations

from http import HTTPStatus
from io import BytesIO
from urllib.parse import urlsplit

from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

# A 304 carries no payload: the record says the server found the page not modified (WARC 1.1
# §6.7.3), rather than claiming a digest of bytes this run never received.
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# Headers that describe how the bytes travelled, not what they are: Twisted has already
# joined a chunked body, so the record carries the body whole and its real length.
_TRANSFER = (b"transfer-encoding", b"content-length")


def _pairs(headers: Headers, skip: tuple[bytes, ...] = ()) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() if name.lower() not in skip
            for value in values]


def request_record(builder: RecordBuilder, request: Request, date: str,
                   concurrent_to: str) -> ArcWarcRecord:
    """The request as Scrapy sent it: its line, its headers (with the Host the client adds)."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc), *_pairs(request.headers)]
    http = StatusAndHeaders(f"{request.method} {target} HTTP/1.1", headers, is_http_request=True)
    return builder.create_warc_record(
        request.url, "request", payload=BytesIO(request.body), length=len(request.body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": concurrent_to})


def response_record(builder: RecordBuilder, response: Response, date: str,
                    revisits: tuple[str, str | None] | None = None) -> ArcWarcRecord:
    """The answer as received: a `response` record, or for a 304 a `revisit` one, naming
    the earlier response it revisits when `revisits` gives its WARC-Date and record id."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    statusline = f"{response.status} {reason}".rstrip()
    body = response.body
    headers = _pairs(response.headers, _TRANSFER)
    if response.status == 304:
        http = StatusAndHeaders(statusline, headers, protocol="HTTP/1.1")
        fields = {"WARC-Date": date, "WARC-Profile": NOT_MODIFIED_PROFILE,
                  "WARC-Refers-To-Target-URI": response.url}
        # Without the date a replay tool cannot tell which capture of the URL holds the page.
        if revisits is not None:
            fields["WARC-Refers-To-Date"] = revisits[0]
            if revisits[1] is not None:
                fields["WARC-Refers-To"] = revisits[1]
        return builder.create_warc_record(response.url, "revisit", http_headers=http,
                                          warc_headers_dict=fields)
    headers.append(("Content-Length", str(len(body))))
    http = StatusAndHeaders(statusline, headers, protocol="HTTP/1.1")
    return builder.create_warc_record(
        response.url, "response", payload=BytesIO(body), length=len(body), http_headers=http,
        warc_headers_dict={"WARC-Date": date})


def rebuilt_response(record: ArcWarcRecord, request: Request) -> Response:
    """The answer a record holds, as the downloader would have handed it on: body as received
    (still compressed when the server compressed it), headers, status."""
    http = record.http_headers
    assert http is not None, "a response or revisit record holds an HTTP answer"
    headers = Headers([(name, value) for name, value in http.headers])
    # The raw stream: content_stream() would undo the Content-Encoding, which
    # HttpCompressionMiddleware does for the live answer and must do for this one too.
    body = b"" if record.rec_type == "revisit" else record.raw_stream.read()
    status = int(http.get_statuscode())
    cls = responsetypes.from_args(headers=headers, url=request.url)
    return cls(url=record.rec_headers.get_header("WARC-Target-URI"), status=status,
               headers=headers, body=body, request=request, protocol="HTTP/1.1")
