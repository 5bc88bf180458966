"""Spider middleware: a thread carries the moment its last page was fetched."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from archiver.dates import to_utc_iso, utc_now
from archiver.items import Thread

# request.meta: when the answer arrived (a live run's capture) or was captured (a re-parse).
FETCHED_AT = "archiver_fetched_at"
# The run's latest such moment (a stat, so it shows in the run's stats dump too).
LAST_FETCHED_AT = "archiver/last_fetched_at"


def stamp(meta: dict[str, Any], when: datetime, stats: StatsCollector) -> None:
    moment = to_utc_iso(when)
    meta[FETCHED_AT] = moment
    stats.max_value(LAST_FETCHED_AT, moment)  # ISO 8601 in UTC sorts as time does


def moment_of(fetched_at: str | None, stats: StatsCollector) -> str:
    """When a thread was seen: its last page's fetch time; for a thread an error let go
    (its callback never ran, so no page dated it), the run's latest fetch; with nothing
    recorded (capture off), now."""
    return fetched_at or stats.get_value(LAST_FETCHED_AT) or utc_now()


class FetchTime:
    """Dates each thread a callback yields by its answer's fetch time, when the downloader
    recorded one; the store then writes the history at that moment, not at the moment the
    pipelines got to it (a re-parse runs months later)."""

    def process_spider_output(self, response: Response,
                              result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            yield dated(response, output)

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            yield dated(response, output)


def dated(response: Response, output: Any) -> Any:
    if isinstance(output, Thread) and output.fetched_at is None:
        fetched = response.meta.get(FETCHED_AT)
        if fetched:
            return replace(output, fetched_at=fetched)
    return output
