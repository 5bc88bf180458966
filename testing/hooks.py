"""Hooks the tests load into a crawl process: a loopback-only network guard, and store and
export hooks that pause, fail or kill inside a write."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured

logger = logging.getLogger(__name__)

# Read inside the crawl process (see StoreHooks).
STORE_PAUSE_ENV = "LDV_TEST_STORE_PAUSE"
KILL_AT_ROW_ENV = "LDV_TEST_KILL_AT_ROW"
FAIL_ARTICLE_ENV = "LDV_TEST_FAIL_ARTICLE"
# Seconds each batch of a snapshot export sleeps, so a test can kill the export mid-write.
EXPORT_PAUSE_ENV = "LDV_EXPORT_TEST_PAUSE"

class LoopbackOnly:
    """Test-only downloader middleware, last before the network: a request for any host
    but 127.0.0.1 is refused and logged, so no test can reach another address and any
    attempt shows in the crawl's log as `netguard:`."""

    def process_request(self, request: Any) -> None:
        host = urlsplit(request.url).hostname
        if host != "127.0.0.1":
            logger.error("netguard: refused a request to %s", request.url)
            raise IgnoreRequest(f"netguard: {host} is not 127.0.0.1")


class StoreHooks:
    """Test-only extension reaching into the store's write transactions.

    LDV_TEST_STORE_PAUSE=s sleeps s seconds per row written inside `write_thread` (so
    readers meet open transactions); LDV_TEST_KILL_AT_ROW=k SIGKILLs the crawl at the k-th
    such row, before its transaction commits; LDV_TEST_FAIL_ARTICLE=id makes writing that
    article's thread fail as a locked database would.
    """

    def __init__(self, pause: float, kill_at: int, fail_article: int) -> None:
        from archiver.db import store as store_module
        from archiver.db.store import Store

        self.pause, self.kill_at, self.rows, self.inside = pause, kill_at, 0, False
        write_thread, comment_row = Store.write_thread, vars(store_module)["comment_row"]
        hooks = self

        def hooked_write_thread(store: Any, *args: Any, **kwargs: Any) -> Any:
            if args and args[0].article.article_id == fail_article:
                raise sqlite3.OperationalError("database is locked")
            hooks.inside = True
            try:
                return write_thread(store, *args, **kwargs)
            finally:
                hooks.inside = False

        # Each comment's row is built inside the thread's open transaction.
        def hooked_comment_row(*args: Any, **kwargs: Any) -> Any:
            if hooks.inside:
                hooks.row()
            return comment_row(*args, **kwargs)

        setattr(Store, "write_thread", hooked_write_thread)  # noqa: B010 - patching a typed attribute
        setattr(store_module, "comment_row", hooked_comment_row)  # noqa: B010 - patching a typed attribute

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoreHooks:
        pause_exports(float(os.environ.get(EXPORT_PAUSE_ENV) or 0))
        pause = float(os.environ.get(STORE_PAUSE_ENV) or 0)
        kill_at = int(os.environ.get(KILL_AT_ROW_ENV) or 0)
        fail_article = int(os.environ.get(FAIL_ARTICLE_ENV) or 0)
        if not pause and not kill_at and not fail_article:
            raise NotConfigured
        return cls(pause, kill_at, fail_article)

    def row(self) -> None:
        self.rows += 1
        if self.pause:
            time.sleep(self.pause)
        if self.rows == self.kill_at:
            print(f"storehooks: killing the crawl inside a write, row {self.rows}",
                  file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)


def pause_exports(seconds: float) -> None:
    """Make every batch a snapshot export writes in this process take `seconds` longer."""
    if not seconds:
        return
    from archiver.export import jsonl

    write_batch = jsonl.write_batch

    def slow_write_batch(*args: Any) -> None:
        write_batch(*args)
        time.sleep(seconds)

    setattr(jsonl, "write_batch", slow_write_batch)  # noqa: B010 - patching a typed attribute
