"""Synthetic LDV mirrors of N articles, made from the bundled real threads (bench only).

Each synthetic article copies the markup of a real article of its era (classic ≤ 2012,
voice2013 2013-2019, voice2020 ≥ 2020) with a new post id, slug, title, dates shifted by whole
days (so every time keeps its UK wall-clock form) and new comment ids, unique site-wide and
increasing with time. Listing pages (`/`, `/page/N/`, ten teasers each, `<link rel="next">`,
teaser counts), the WordPress sitemaps, robots.txt and the comments feed are generated to match.

Two states are written: `day1/`, and `day2/` one day of changes later (new articles, new,
edited and removed comments); `day2` shares unchanged files with `day1` through hard links.
`python bench/synth.py N OUT` writes one mirror; `bench/run.py` calls `build()`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "ldv"
PLACEHOLDER = "http://127.0.0.1:8000"
LONDON = ZoneInfo("Europe/London")
PER_LISTING = 10
PER_SITEMAP = 2000  # WordPress core's wp_sitemaps_get_max_urls()
FEED_ITEMS = 20
FIRST_POST_ID = 100_001
POST_ID_STEP = 3  # revisions and attachments take ids too
FIRST_COMMENT_ID = 2_000_001
OLDEST = date(2007, 3, 1)
# The newest day-1 article is this many days old: its template's comments (up to three days
# after the post) stay in the past, and it is still inside ARCHIVER_ACTIVE_DAYS (14).
NEWEST_AGE_DAYS = 4
ADDED_TEXT = "Synthetic reply added for the benchmark's day of changes."
EDIT_TEXT = " (Edited: a sentence added by the benchmark's day of changes.)"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# `<time datetime>` and `article:published_time`: ISO 8601 with the UK offset.
_ISO = re.compile(r"\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)([+-]\d\d:\d\d)")
# Bylines, PHP `D jS F Y - g:i a`.
_BYLINE = re.compile(
    r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{1,2})(?:st|nd|rd|th) (" + "|".join(MONTHS)
    + r") (\d{4}) - (\d{1,2}):(\d\d) (am|pm)")
# Comment headers, PHP `jS M 'y - g:ia` (voice2020 escapes the apostrophe). Quoted headers in
# bodies are texturized (curly apostrophe, en dash) and sidebar dates have no year: neither
# matches.
_HEADER = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th) (" + "|".join(m[:3] for m in MONTHS)
    + r") ('|&#039;)(\d\d) - (\d{1,2}):(\d\d)(am|pm)")
_HEADING = re.compile(r"(<h[23][^>]*comments-title[^>]*>)([^<]*)(</h[23]>)")
_TEASER_COUNT = re.compile(r'<a href="[^"]*#(?:comments|respond)">[^<]*</a>')
_BLOCK_END = re.compile(r"\n<li\b|\n</ol>|\n</ul>")
_BODY_OPEN = re.compile(r'<div class="comment-(?:body|text|content)">')


def era_of(year: int) -> str:
    return "classic" if year <= 2012 else "voice2013" if year <= 2019 else "voice2020"


def ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def clock(moment: datetime, space: str) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}{space}{'am' if moment.hour < 12 else 'pm'}"


def header_text(moment: datetime, apostrophe: str = "'") -> str:
    return (f"{ordinal(moment.day)} {MONTHS[moment.month - 1][:3]} {apostrophe}"
            f"{moment.year % 100:02d} - {clock(moment, '')}")


def byline_text(moment: datetime) -> str:
    return (f"{DAYS[moment.weekday()]} {ordinal(moment.day)} {MONTHS[moment.month - 1]} "
            f"{moment.year} - {clock(moment, ' ')}")


def iso_text(moment: datetime) -> str:
    return moment.replace(tzinfo=LONDON).isoformat()


def wall_clock_exists(moment: datetime) -> bool:
    """A UK wall-clock time that happens exactly once (not in the spring gap or autumn fold)."""
    aware = moment.replace(tzinfo=LONDON)
    back = aware.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None)
    return back == moment and aware.utcoffset() == moment.replace(fold=1,
                                                                  tzinfo=LONDON).utcoffset()


def _twelve(hour: str, half: str) -> int:
    return int(hour) % 12 + (12 if half == "pm" else 0)


def shift_dates(text: str, days: int) -> str:
    """Every article and comment date in `text`, `days` later, in the same written form."""
    if days == 0:
        return text
    delta = timedelta(days=days)

    def iso(match: re.Match[str]) -> str:
        local = datetime.fromisoformat(match[0]).astimezone(LONDON).replace(tzinfo=None)
        return iso_text(local + delta)

    def byline(match: re.Match[str]) -> str:
        moment = datetime(int(match[3]), MONTHS.index(match[2]) + 1, int(match[1]),
                          _twelve(match[4], match[6]), int(match[5]))
        return byline_text(moment + delta)

    def header(match: re.Match[str]) -> str:
        month = [m[:3] for m in MONTHS].index(match[2]) + 1
        moment = datetime(2000 + int(match[4]), month, int(match[1]),
                          _twelve(match[5], match[7]), int(match[6]))
        return header_text(moment + delta, match[3])

    return _HEADER.sub(header, _BYLINE.sub(byline, _ISO.sub(iso, text)))


# --- the real threads ------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateComment:
    comment_id: int
    author: str
    posted: datetime  # UK wall clock
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    """One bundled real article: its page, its listing teaser and its truth."""

    post_id: int
    era: str
    slug: str
    html: str
    teaser: str
    title_forms: tuple[str, ...]
    published: datetime
    comments: tuple[TemplateComment, ...]
    pingbacks: tuple[tuple[int, datetime], ...]

    @property
    def path(self) -> str:
        return f"/{self.slug}-{self.post_id}.html"


def load_templates() -> dict[str, list[Template]]:
    """The bundled articles by era: day 1's twelve, plus day 2's new one (voice2020)."""
    teasers: dict[int, str] = {}
    for listing in ("site/index.html", "site/page/2/index.html", "site-next/index.html"):
        html = (FIXTURES / listing).read_text(encoding="utf-8")
        for match in re.finditer(r'<article id="post-(\d+)".*?</article>', html, re.DOTALL):
            teasers.setdefault(int(match[1]), match[0])
    found: dict[int, Template] = {}
    for day, site in (("day1", "site"), ("day2", "site-next")):
        for path in sorted((FIXTURES / "truth" / day).glob("*.json")):
            truth = json.loads(path.read_text(encoding="utf-8"))
            post_id = int(truth["post_id"])
            if post_id in found:
                continue
            html = (FIXTURES / site / truth["mirror_path"].lstrip("/")).read_text(
                encoding="utf-8")
            title_tag = re.search(r"<title>(.*) \| Liberal Democrat Voice</title>", html)
            og_title = re.search(r'<meta property="og:title" content="([^"]*)"', html)
            assert title_tag and og_title, truth["mirror_path"]
            slug = truth["mirror_path"].lstrip("/").removesuffix(f"-{post_id}.html")
            found[post_id] = Template(
                post_id=post_id, era=truth["era"], slug=slug, html=html,
                teaser=teasers[post_id],
                title_forms=tuple(dict.fromkeys((title_tag[1], og_title[1]))),
                published=datetime.fromisoformat(truth["published_local"]),
                comments=tuple(
                    TemplateComment(int(c["comment_id"]), c["author"],
                                    datetime.fromisoformat(c["posted_local"]),
                                    tuple(c["body_paragraphs"]))
                    for c in truth["comments"]),
                pingbacks=tuple((int(p["comment_id"]), datetime.fromisoformat(p["posted_local"]))
                                for p in truth.get("pingbacks", [])),
            )
    by_era: dict[str, list[Template]] = {}
    for template in sorted(found.values(), key=lambda t: t.post_id):
        assert template.era == era_of(template.published.year), template.post_id
        by_era.setdefault(template.era, []).append(template)
    return by_era


# --- the synthetic site ----------------------------------------------------------------------


@dataclass
class Comment:
    comment_id: int
    author: str
    posted: datetime
    paragraphs: tuple[str, ...]


@dataclass
class Post:
    """One synthetic article in one state of the site."""

    number: int  # 1-based, oldest first
    post_id: int
    template: Template
    days: int  # the template's dates are shifted by this many days
    comments: list[Comment]
    pingbacks: int
    id_map: dict[int, int]
    # Day-2 changes, applied to the rendered page: appended comments, edits, removals.
    added: list[Comment] = field(default_factory=list)
    edited: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)

    @property
    def path(self) -> str:
        return f"/{self.template.slug}-{self.number}-{self.post_id}.html"

    @property
    def url(self) -> str:
        return PLACEHOLDER + self.path

    @property
    def published(self) -> datetime:
        return self.template.published + timedelta(days=self.days)

    @property
    def title(self) -> str:
        return f"{self.template.title_forms[-1]} (no. {self.number})"

    @property
    def live_comments(self) -> list[Comment]:
        return [c for c in self.comments if c.comment_id not in self.removed] + self.added

    @property
    def listed_count(self) -> int:
        """What a WordPress teaser shows: comments and pingbacks."""
        return len(self.live_comments) + self.pingbacks

    @property
    def changed(self) -> bool:
        return bool(self.added or self.edited or self.removed)


class Ids:
    """Comment ids, handed out in time order, unique site-wide."""

    def __init__(self, first: int) -> None:
        self.next = first

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def _shift_days(template: Template, target: date) -> int:
    """Days to move the template so it is published on `target`, or just after when one of its
    times would fall in a clock change."""
    days = (target - template.published.date()).days
    times = [template.published, *(c.posted for c in template.comments),
             *(t for _, t in template.pingbacks)]
    while not all(wall_clock_exists(t + timedelta(days=days)) for t in times):
        days += 1
    return days


def make_post(number: int, post_id: int, template: Template, target: date, ids: Ids) -> Post:
    days = _shift_days(template, target)
    delta = timedelta(days=days)
    old = sorted([(c.posted, c.comment_id) for c in template.comments]
                 + [(t, i) for i, t in template.pingbacks])
    id_map = {old_id: ids.take() for _, old_id in old}
    comments = [Comment(id_map[c.comment_id], c.author, c.posted + delta, c.paragraphs)
                for c in template.comments]
    return Post(number, post_id, template, days, comments, len(template.pingbacks), id_map)


def make_site(count: int, today: date) -> list[Post]:
    """`count` articles, oldest first, spread evenly from 2007 to a few days before `today`."""
    by_era = load_templates()
    newest = today - timedelta(days=NEWEST_AGE_DAYS)
    span = (newest - OLDEST).days
    used: dict[str, int] = {}
    ids = Ids(FIRST_COMMENT_ID)
    posts = []
    for index in range(count):
        target = OLDEST + timedelta(days=round(span * index / max(count - 1, 1)))
        era = era_of(target.year)
        templates = by_era[era]
        template = templates[used.get(era, 0) % len(templates)]
        used[era] = used.get(era, 0) + 1
        posts.append(make_post(index + 1, FIRST_POST_ID + POST_ID_STEP * index, template,
                               target, ids))
    return posts


@dataclass(frozen=True)
class Changes:
    """What day 2 changed, for the report: post ids per kind of change."""

    new_articles: tuple[int, ...]
    comments_added_recent: tuple[int, ...]
    comments_added_old: tuple[int, ...]
    comments_edited_recent: tuple[int, ...]
    comments_edited_old: tuple[int, ...]
    comments_removed: tuple[int, ...]

    def as_dict(self) -> dict[str, list[int]]:
        return {key: list(value) for key, value in self.__dict__.items()}


def next_day(posts: list[Post], today: date) -> tuple[list[Post], Changes]:
    """Day 2: three new articles, comments added to recent threads and (approved late from the
    moderation queue, with their old time) to an old one, edits on a recent and an old thread,
    one comment removed. Returns new Post objects; day 1's are left as they were."""
    by_era = load_templates()
    ids = Ids(max(c.comment_id for p in posts for c in p.comments) + 1000)
    copies = [Post(p.number, p.post_id, p.template, p.days, list(p.comments), p.pingbacks,
                   dict(p.id_map)) for p in posts]
    with_comments = [p for p in copies if len(p.comments) >= 2]
    recent = with_comments[-5:]
    old = [with_comments[len(with_comments) // 3], with_comments[len(with_comments) // 2]]

    def add(post: Post, moment: datetime) -> None:
        last = post.live_comments[-1]
        post.added.append(Comment(ids.take(), last.author, moment, (ADDED_TEXT,)))

    for post in recent[-3:]:
        add(post, post.live_comments[-1].posted + timedelta(minutes=30))
    # Approved from the moderation queue: an old time, so it is in no feed.
    add(old[0], old[0].live_comments[-1].posted + timedelta(minutes=5))
    recent[0].edited.add(recent[0].comments[0].comment_id)
    old[1].edited.add(old[1].comments[-1].comment_id)
    recent[1].removed.add(recent[1].comments[-1].comment_id)
    new_posts = []
    templates = by_era["voice2020"]
    last_id = copies[-1].post_id
    for offset in range(3):
        target = today - timedelta(days=1)
        new_posts.append(make_post(len(copies) + offset + 1, last_id + POST_ID_STEP * (offset + 1),
                                   templates[offset % len(templates)], target, ids))
    changes = Changes(
        new_articles=tuple(p.post_id for p in new_posts),
        comments_added_recent=tuple(p.post_id for p in recent[-3:]),
        comments_added_old=(old[0].post_id,),
        comments_edited_recent=(recent[0].post_id,),
        comments_edited_old=(old[1].post_id,),
        comments_removed=(recent[1].post_id,),
    )
    return copies + new_posts, changes


# --- rendering -----------------------------------------------------------------------------


def _substitute(text: str, post: Post) -> str:
    """The template's URL, post id, title, comment ids and dates replaced by the post's."""
    template = post.template
    text = text.replace(PLACEHOLDER + template.path, post.url)
    text = re.sub(rf"(?<=postid-){template.post_id}\b|(?<=post-){template.post_id}\b"
                  rf"|(?<=value='){template.post_id}(?=')", str(post.post_id), text)
    text = re.sub(r"(?<=comment-)(\d+)\b",
                  lambda m: str(post.id_map.get(int(m[1]), m[1])), text)
    titles = "|".join(re.escape(form) for form in template.title_forms)
    text = re.sub(titles, lambda m: f"{m[0]} (no. {post.number})", text)
    return shift_dates(text, post.days)


def _block_span(html: str, comment_id: int) -> tuple[int, int]:
    """Start and end of the comment's `<li>` (flat lists: it ends where the next one starts)."""
    start = re.search(rf'<li\b[^>]*\bid="(?:li-)?comment-{comment_id}"', html)
    assert start is not None, comment_id
    end = _BLOCK_END.search(html, start.end())
    assert end is not None, comment_id
    return start.start(), end.start()


def _header_for(moment: datetime) -> Callable[[re.Match[str]], str]:
    """A substitution writing `moment` in the matched header's form (straight or escaped ')."""
    return lambda match: header_text(moment, match[3])


def _count_heading(count: int) -> str:
    return "One Comment" if count == 1 else f"{count} Comments"


def render_article(post: Post) -> str:
    html = _substitute(post.template.html, post)
    for comment_id in post.edited:
        start, end = _block_span(html, comment_id)
        body = _BODY_OPEN.search(html, start, end)
        assert body is not None
        close = html.index("</p>", body.end(), end)
        html = html[:close] + escape(EDIT_TEXT) + html[close:]
    for comment_id in post.removed:
        start, end = _block_span(html, comment_id)
        html = html[:start] + html[end + 1:]
    if post.added:
        # A new comment copies the markup of the thread's last one (same era, same walker).
        model = [c for c in post.comments if c.comment_id not in post.removed][-1].comment_id
        start, end = _block_span(html, model)
        model_block = html[start:end]
        anchor = model
        for comment in post.added:
            block = model_block.replace(f"comment-{model}", f"comment-{comment.comment_id}")
            block = _ISO.sub(iso_text(comment.posted), block)
            block = _HEADER.sub(_header_for(comment.posted), block)
            body = _BODY_OPEN.search(block)
            assert body is not None
            close = block.index("</div>", body.end())
            paragraphs = "".join(f"<p>{escape(p)}</p>" for p in comment.paragraphs)
            block = block[:body.end()] + paragraphs + block[close:]
            insert = _block_span(html, anchor)[1]
            html = html[:insert] + "\n" + block + html[insert:]
            anchor = comment.comment_id
    if post.changed:
        count = len(post.live_comments)
        html = _HEADING.sub(lambda m: m[1] + _count_heading(count) + m[3], html, count=1)
    return html


def render_teaser(post: Post) -> str:
    teaser = _substitute(post.template.teaser, post)
    count = post.listed_count
    link = (f'<a href="{post.url}#respond">Leave a comment</a>' if count == 0 else
            f'<a href="{post.url}#comments">{count} Comment{"" if count == 1 else "s"}</a>')
    return _TEASER_COUNT.sub(link, teaser, count=1)


def _listing_url(page: int) -> str:
    return f"{PLACEHOLDER}/" if page == 1 else f"{PLACEHOLDER}/page/{page}/"


def render_listings(posts: list[Post]) -> dict[str, str]:
    """Home and `/page/N/`, newest first, in the shells of the bundled listing pages."""
    home = (FIXTURES / "site" / "index.html").read_text(encoding="utf-8")
    paged = (FIXTURES / "site" / "page" / "2" / "index.html").read_text(encoding="utf-8")
    newest_first = posts[::-1]
    pages = [newest_first[i:i + PER_LISTING] for i in range(0, len(newest_first), PER_LISTING)]
    out = {}
    for number, teasers in enumerate(pages, start=1):
        last = number == len(pages)
        shell = home if number == 1 else paged
        head, rest = shell.split('<main id="main" class="site-main">\n', 1)
        tail = rest[rest.index("</main>"):]
        links = []
        if number > 1:
            links.append(f'<link rel="prev" href="{_listing_url(number - 1)}" />')
        if not last:
            links.append(f'<link rel="next" href="{_listing_url(number + 1)}" />')
        head = re.sub(r'<link rel="(?:prev|next)" href="[^"]*" />\n', "", head)
        head = head.replace("</head>", "".join(f"{link}\n" for link in links) + "</head>")
        if number > 1:
            head = (head.replace("/page/2/", f"/page/{number}/")
                    .replace("Page 2", f"Page {number}").replace("paged-2", f"paged-{number}"))
        nav = []
        if not last:
            nav.append(f'<div class="nav-previous"><a href="{_listing_url(number + 1)}" '
                       'rel="next"><span class="meta-nav">&larr;</span> Older posts</a></div>')
        if number > 1:
            nav.append(f'<div class="nav-next"><a href="{_listing_url(number - 1)}" rel="prev">'
                       'Newer posts <span class="meta-nav">&rarr;</span></a></div>')
        body = "\n".join(render_teaser(post) for post in teasers)
        navigation = ('<nav class="navigation paging-navigation" role="navigation">'
                      + "".join(nav) + "</nav>\n")
        path = "index.html" if number == 1 else f"page/{number}/index.html"
        out[path] = (head + '<main id="main" class="site-main">\n' + body + "\n" + navigation
                     + tail)
    return out


def render_sitemaps(posts: list[Post]) -> dict[str, str]:
    """`wp-sitemap.xml` and `wp-sitemap-posts-post-N.xml` (home first, posts by id)."""
    urls = [f"{PLACEHOLDER}/"] + [p.url for p in sorted(posts, key=lambda p: p.post_id)]
    out = {}
    names = []
    for index in range(0, len(urls), PER_SITEMAP):
        name = f"wp-sitemap-posts-post-{index // PER_SITEMAP + 1}.xml"
        names.append(name)
        entries = "".join(f"<url><loc>{url}</loc></url>" for url in urls[index:index + PER_SITEMAP])
        out[name] = ('<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet type="text/xsl" '
                     f'href="{PLACEHOLDER}/wp-sitemap.xsl" ?>\n<urlset xmlns='
                     f'"http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>\n')
    names += ["wp-sitemap-taxonomies-category-1.xml", "wp-sitemap-users-1.xml"]
    entries = "".join(f"<sitemap><loc>{PLACEHOLDER}/{name}</loc></sitemap>" for name in names)
    out["wp-sitemap.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet type="text/xsl" '
        f'href="{PLACEHOLDER}/wp-sitemap-index.xsl" ?>\n<sitemapindex xmlns='
        f'"http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n')
    return out


def render_comment_feed(posts: list[Post]) -> str:
    """`/comments/feed/`: the 20 newest comments site-wide, by time (as WordPress orders it)."""
    template = (FIXTURES / "site" / "comments" / "feed" / "index.xml").read_text(encoding="utf-8")
    head = template[:template.index("\t<item>")]
    recent = [(c.posted, c, p) for p in posts[-60:] for c in p.live_comments]
    newest = sorted(recent, key=lambda item: (item[0], item[1].comment_id), reverse=True)
    items = []
    for moment, comment, post in newest[:FEED_ITEMS]:
        stamp = format_datetime(moment.replace(tzinfo=LONDON).astimezone(UTC)).replace(
            "-0000", "+0000")
        text = " ".join(comment.paragraphs)
        link = f"{post.url}#comment-{comment.comment_id}"
        content = "".join(f"<p>{escape(p, quote=False)}</p>" for p in comment.paragraphs)
        items.append(
            f"\t<item>\n\t\t<title>Comment on {escape(post.title, quote=False)} by "
            f"{escape(comment.author, quote=False)}</title>\n\t\t<link>{link}</link>\n"
            f"\t\t<dc:creator><![CDATA[{comment.author}]]></dc:creator>\n"
            f"\t\t<pubDate>{stamp}</pubDate>\n\t\t<guid isPermaLink=\"false\">{link}</guid>\n"
            f"\t\t<description><![CDATA[{text[:200]}]]></description>\n"
            f"\t\t<content:encoded><![CDATA[{content}]]></content:encoded>\n\t</item>\n")
    if newest:
        build = format_datetime(newest[0][0].replace(tzinfo=LONDON).astimezone(UTC))
        head = re.sub(r"<lastBuildDate>[^<]*</lastBuildDate>",
                      f"<lastBuildDate>{build.replace('-0000', '+0000')}</lastBuildDate>", head)
    return head + "".join(items) + "\t</channel>\n</rss>\n"


# --- writing -------------------------------------------------------------------------------

_COPIED = ("robots.txt", "wp-sitemap-taxonomies-category-1.xml", "wp-sitemap-users-1.xml",
           "comment-policy", "cdn-cgi")


def _write(path: Path, text: str) -> None:
    """Write a file; an existing one (maybe a hard link shared with day 1) is replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    path.write_text(text, encoding="utf-8")


def write_state(posts: list[Post], directory: Path, state: str,
                only: Iterable[Post] | None = None) -> None:
    """The whole site (or, over a hard-linked copy, only the given articles) plus every
    listing page, sitemap and the comments feed."""
    for post in posts if only is None else only:
        _write(directory / post.path.lstrip("/"), render_article(post))
    if only is None:
        for name in _COPIED:
            source = FIXTURES / "site" / name
            if source.is_dir():
                shutil.copytree(source, directory / name)
            else:
                shutil.copy2(source, directory / name)
    else:
        shutil.rmtree(directory / "page", ignore_errors=True)
        for stale in directory.glob("wp-sitemap-posts-post-*.xml"):
            stale.unlink()
    for path, text in {**render_listings(posts), **render_sitemaps(posts)}.items():
        _write(directory / path, text)
    _write(directory / "comments" / "feed" / "index.xml", render_comment_feed(posts))
    meta = json.loads((FIXTURES / "site" / "site.json").read_text(encoding="utf-8"))
    meta.update(state=state, articles=len(posts), generator="bench/synth.py")
    _write(directory / "site.json", json.dumps(meta, indent=1) + "\n")


def _fingerprint(count: int, today: date) -> str:
    source = Path(__file__).read_bytes()
    return hashlib.sha256(source + f"{count}|{today}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Mirror:
    """A generated mirror: both states and what is in them."""

    root: Path
    day1: Path
    day2: Path
    articles: int
    comments: int
    pingbacks: int
    listing_pages: int
    changes: dict[str, list[int]]

    @classmethod
    def load(cls, root: Path) -> Mirror:
        meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
        return cls(root=root, day1=root / "day1", day2=root / "day2",
                   articles=meta["articles"], comments=meta["comments"],
                   pingbacks=meta["pingbacks"], listing_pages=meta["listing_pages"],
                   changes=meta["changes"])


def build(count: int, out: Path, *, today: date | None = None,
          log: Callable[[str], None] = print) -> Mirror:
    """Generate (or reuse, when made today by this same generator) the mirror of `count`."""
    today = today or datetime.now(LONDON).date()
    fingerprint = _fingerprint(count, today)
    meta_path = out / "meta.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("fingerprint") == fingerprint:
            return Mirror.load(out)
    log(f"generating a synthetic mirror of {count} articles in {out}")
    shutil.rmtree(out, ignore_errors=True)
    posts = make_site(count, today)
    write_state(posts, out / "day1", "day1")
    day2, changes = next_day(posts, today)
    shutil.copytree(out / "day1", out / "day2", copy_function=os.link)
    changed = [p for p in day2 if p.changed or p.number > len(posts)]
    write_state(day2, out / "day2", "day2", only=changed)
    meta = {
        "fingerprint": fingerprint, "generated_for": str(today), "articles": len(posts),
        "comments": sum(len(p.comments) for p in posts),
        "pingbacks": sum(p.pingbacks for p in posts),
        "listing_pages": -(-len(posts) // PER_LISTING),
        "eras": {era: sum(1 for p in posts if p.template.era == era)
                 for era in ("classic", "voice2013", "voice2020")},
        "changes": changes.as_dict(),
    }
    _write(meta_path, json.dumps(meta, indent=1) + "\n")
    return Mirror.load(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/synth.py", description=__doc__)
    parser.add_argument("count", type=int, help="number of articles")
    parser.add_argument("out", type=Path, help="output directory (day1/, day2/, meta.json)")
    args = parser.parse_args(argv)
    mirror = build(args.count, args.out)
    print(json.dumps({"articles": mirror.articles, "comments": mirror.comments,
                      "day1": str(mirror.day1), "day2": str(mirror.day2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
