"""Downloader middleware: read an HTML page in the encoding its bytes are really in."""

from __future__ import annotations

import codecs
import logging
import re

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# One well-formed UTF-8 sequence of two to four bytes (RFC 3629: no overlongs, no surrogates).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_ASCII = bytes(range(128))
# Single-byte Western charsets a server or theme may wrongly claim for UTF-8 bytes.
_WESTERN = frozenset({"cp1252", "iso8859-1", "iso8859-15", "ascii"})
# The charset a page that is not UTF-8 is in, on the Web, nearly always.
FALLBACK = "cp1252"


def utf8_evidence(body: bytes) -> tuple[int, int]:
    """(bytes inside well-formed multi-byte UTF-8 sequences, other non-ASCII bytes)."""
    high = len(body.translate(None, _ASCII))
    valid = sum(len(seq) for seq in _UTF8_MULTIBYTE.findall(body))
    return valid, high - valid


def _decodes_as_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def actual_encoding(body: bytes, claimed: str) -> str | None:
    """The encoding `body` is really in when `claimed` is wrong, else None.

    UTF-8 claimed but most non-ASCII bytes are not UTF-8: cp1252 (a few stray bytes in a
    UTF-8 page are damage, not another charset, and re-reading would garble the rest).
    A Western single-byte charset claimed for bytes that are well-formed UTF-8 with
    multi-byte characters: UTF-8 (such bytes are vanishingly rare in real cp1252 text).
    """
    try:
        name = codecs.lookup(claimed).name
    except LookupError:
        return None
    if _decodes_as_utf8(body):
        # The common case, settled by the C decoder: no byte outside a well-formed sequence.
        return "utf-8" if name in _WESTERN and not body.isascii() else None
    valid, invalid = utf8_evidence(body)
    if name == "utf-8":
        if invalid <= valid:
            return None
        try:
            body.decode(FALLBACK)
        except UnicodeDecodeError:
            return None
        return FALLBACK
    if name in _WESTERN and valid and not invalid:
        return "utf-8"
    return None


class EncodingMiddleware:
    """Re-decodes an HTML page whose bytes are not in its declared (header or meta) charset.

    Without it a cp1252 page served as UTF-8 turns every curly quote and pound sign into
    U+FFFD, and UTF-8 served as Latin-1 into mojibake, in text that is then archived.
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EncodingMiddleware:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, HtmlResponse) or not response.body:
            return response
        claimed = response.encoding
        actual = actual_encoding(response.body, claimed)
        if actual is None:
            return response
        logger.warning("%s: the bytes are not %s; reading them as %s",
                       response.url, claimed, actual)
        self.stats.inc_value("archiver/encoding_repaired")
        return response.replace(encoding=actual)
