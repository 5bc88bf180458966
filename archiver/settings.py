"""Scrapy settings for the archiver; every ARCHIVER_* setting is documented in the README."""

from __future__ import annotations

from scrapy.settings.default_settings import EXTENSIONS_BASE as scrapy_base_extensions

BOT_NAME = "archiver"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# Our `crawl` checks settings (and that the archive is free) before Scrapy starts.
COMMANDS_MODULE = "archiver.commands"

# --- Archiver settings (validated at start-up by archiver.preflight) ---
# A spider's site profile gives the next three their defaults (spiders/<site>.py); -s wins.
# Site root; every request stays on this site or its aliases.
ARCHIVER_BASE_URL = ""
# Other hosts that serve the same site; their URLs are rewritten onto ARCHIVER_BASE_URL.
ARCHIVER_ALIAS_HOSTS: list[str] = []
# The IANA time zone the site prints its times in.
ARCHIVER_TIMEZONE = "UTC"
# SQLite file holding the archive.
ARCHIVER_DB = "archive.db"
# What to read: auto (the REST API where the site has it open, else the HTML), rest, or html.
ARCHIVER_SOURCE = "auto"
# In auto mode, threads per run also read from their pages and compared with REST's answer.
ARCHIVER_CROSS_CHECK = 1
# Articles published within this many days are re-read on every scheduled run.
ARCHIVER_ACTIVE_DAYS = 14
# Least recently verified threads re-read per scheduled run, so old edits are found in time.
ARCHIVER_AUDIT_PER_RUN = 20
# ...but no more than one full audit cycle over this many runs needs (a small archive's share).
ARCHIVER_AUDIT_CYCLE_RUNS = 100
# Snapshot directory written after each successful run ("" disables snapshots); None, the
# default: the archive's own folder beside it, <ARCHIVER_DB>.exports.
ARCHIVER_EXPORTS_DIR: str | None = None
# How many snapshots to keep.
ARCHIVER_EXPORTS_KEEP = 5
# Write snapshot files gzipped (.jsonl.gz).
ARCHIVER_EXPORTS_GZIP = False
# Folder for the run's raw pages, every request and answer as WARC records ("" turns capture
# off); None, the default: the archive's own folder beside it, <ARCHIVER_DB>.warc.
ARCHIVER_WARC_DIR: str | None = None
# A WARC file is closed and the next one begun once it holds this many (compressed) bytes.
ARCHIVER_WARC_MAX_BYTES = 100 * 1024 * 1024
# WARC files a run answers every request from instead of the network; `ldv-archiver
# reparse` sets it (and turns capture off), an operator never needs to.
ARCHIVER_WARC_REPLAY: list[str] = []
# With it, the live run's start (its warcinfo's): the re-parsed run is dated as it was.
ARCHIVER_REPLAY_STARTED_AT = ""
# Longest pause between requests that a 429/5xx answer (or its Retry-After) can impose.
ARCHIVER_MAX_BACKOFF = 300.0
# Seconds a writer waits for a reader's lock before failing.
ARCHIVER_BUSY_TIMEOUT = 30
# Progress: auto (a bar when stderr is a terminal, else log lines), bar, log, or off.
ARCHIVER_PROGRESS = "auto"
# Seconds between progress lines in the log (log mode).
ARCHIVER_PROGRESS_INTERVAL = 60.0

# --- Politeness ---
USER_AGENT = "ldv-archiver/0.1 (comment-thread archive; +https://github.com/ldv-archiver)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# The failure log writes one line per page given up on; Scrapy's own would be a second.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
# WordPress does not use meta refresh; following one could leave the site unchecked.
METAREFRESH_ENABLED = False
TELNETCONSOLE_ENABLED = False
# The pipelines are synchronous (SQLite): Scrapy's 100 item workers per answer never overlap,
# and starting them cost a hundred asyncio tasks a page, a sixth of a crawl's time (measured
# side by side on a 1,000-article mirror: 97 answers/s against 117).
CONCURRENT_ITEMS = 1
# Scrapy 2.19's remote control: an HTTP server on a localhost port that runs Python code sent
# to it (and a job file naming its token). A cron job needs no listener.
REMOTE_CONTROL_ENABLED = False
# Conditional requests use validators kept in the archive (http_validators), not a disk cache.
HTTPCACHE_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    # Before DownloadTimeoutMiddleware (350), so its robots.txt timeout holds; after
    # RetryMiddleware (550) on the way back: a site that never answered stops the run.
    "archiver.middlewares.site_reachable.SiteReachable": 340,
    # Before RedirectMiddleware (600) sees the 3xx: off-site and looping redirects are
    # recorded as failures, where Scrapy's filters would drop them without a word.
    "archiver.middlewares.redirect_guard.RedirectGuard": 650,
    # After HttpCompressionMiddleware (590) has unpacked the body, before MetaRefresh (580).
    "archiver.middlewares.encoding.EncodingMiddleware": 588,
    # Then a page cut short is retried, never parsed as a whole thread.
    "archiver.middlewares.cut_short.CutShortGuard": 586,
    # Beside RetryMiddleware (550): it sees every overload answer before a retry is queued.
    "archiver.middlewares.backoff.BackoffMiddleware": 560,
    # Nearest the network, after every other middleware: the request as sent, the answer as
    # received (still compressed), and a 304 as itself.
    "archiver.warc.capture.CaptureMiddleware": 950,
    # A re-parse answers here from the WARC files, so every middleware above sees the answer
    # as it saw the live one.
    "archiver.warc.replay.ReplayMiddleware": 960,
}

# A failed page is recorded, never dropped without a word (archiver.extensions.failures).
SPIDER_MIDDLEWARES = {
    # Nearest the spider, so it sees a callback's exception before any other middleware.
    "archiver.middlewares.page_outcomes.PageOutcomesMiddleware": 950,
    "archiver.middlewares.fetch_time.FetchTime": 900,
    # Scrapy's URL length filter drops a link with a line of INFO; ours files it as a failure.
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "archiver.middlewares.url_length.UrlLengthGuard": 800,
}
# Scrapy's 2,083 is an old browser's limit; servers take request lines up to 8 KB (Apache's
# LimitRequestLine is 8,190), so a longer URL is requested and only one beyond it is a failure.
URLLENGTH_LIMIT = 8190

# The archive's own extensions join Scrapy's base set, so a `-s EXTENSIONS=…` that adds one
# (a profiler, a test hook) cannot drop the ledger. Built in this order: the ledger takes the
# run lock and applies the schema before anything else opens the archive; the archive state
# plans the run before the spider opens and the ledger records it.
EXTENSIONS_BASE = {
    **scrapy_base_extensions,
    "archiver.extensions.ledger.RunLedger": 100,
    "archiver.extensions.archive_state.ArchiveState": 200,
    "archiver.extensions.failures.FailureLog": 300,
    "archiver.extensions.search_index.SearchIndexer": 400,
    "archiver.extensions.snapshot.Snapshot": 500,
    "archiver.extensions.progress.Progress": 600,
}

ITEM_PIPELINES = {
    # Clean names, bodies and times first: dedupe and store compare normalised values.
    "archiver.pipelines.normalise.NormalisePipeline": 100,
    "archiver.pipelines.dedupe.DedupePipeline": 200,
    "archiver.pipelines.store.StorePipeline": 300,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
