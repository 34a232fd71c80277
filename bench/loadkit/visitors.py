"""Visitors: each one a browsing session, the way a browser does it.

A visitor opens a page, then fetches what the page shows at once (stylesheets and scripts,
the images in the first screenful) over up to six keep-alive connections of its own, as a
browser does; it has a browser cache: what `Cache-Control: max-age` says is fresh is not
asked for again, anything else it kept is revalidated with its ETag (304). Then it reads for a while
(think time, exponential around a mean) and opens the next page: the home page, an album,
photos in it, a search, a year, the feed, the secret-link album, and now and then the URL
of a private album (which must answer 404).
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import time
from dataclasses import dataclass, field

import aiohttp

from loadkit.photos import WORDS
from loadkit.seed import Site
from loadkit.stats import Recorder

CONNECTIONS = 6  # per visitor, as browsers open per host
TIMEOUT_SECONDS = 30  # an answer slower than this counts as an error
# A browser sends a request again when the server closed the idle connection it reused at
# that moment; aiohttp reports an error. Closing idle connections before the server does
# (SERVE_KEEPALIVE, 5 s) leaves that race out instead.
KEEPALIVE_SECONDS = 3
FIRST_SCREEN = {"home": 6, "album": 12, "search": 8, "year": 6, "unlisted": 12}
PAGES = {  # what visitors open, and how often
    "photo": 35,
    "album": 25,
    "home": 15,
    "search": 12,
    "year": 5,
    "unlisted": 4,
    "feed": 3,
    "private": 1,
}
HEADERS = {"Accept-Encoding": "br, gzip", "Accept-Language": "lv,en;q=0.8"}
IMG = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')
ASSETS = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')
FOLD = str.maketrans("āčēģīķļņšūž", "acegiklnsuz")


@dataclass
class Limits:
    until: float  # time.monotonic() at which visitors stop opening pages
    max_requests: int
    think: float  # mean seconds between two pages


@dataclass
class Kept:
    """A response the visitor's browser cache holds."""

    etag: str | None
    fresh_until: float  # time.monotonic(); 0 when it must be revalidated (no-cache)
    body: bytes


@dataclass
class Visitor:
    """One browsing session: its connections, its browser cache, where it is."""

    http: aiohttp.ClientSession
    rng: random.Random
    cache: dict[str, Kept] = field(default_factory=dict)
    album: str = ""


async def browse(base: str, site: Site, limits: Limits, recorder: Recorder, seed: int) -> None:
    """One visitor's session until the time or the request budget is used up."""
    connector = aiohttp.TCPConnector(limit=CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(
        base, connector=connector, headers=HEADERS, timeout=timeout, trace_configs=[_tracing()]
    ) as http:
        visitor = Visitor(http, random.Random(seed))
        while _time_left(limits, recorder):
            kind = visitor.rng.choices(list(PAGES), weights=list(PAGES.values()))[0]
            await _open(visitor, kind, site, recorder)
            await asyncio.sleep(_think(visitor.rng, limits))


def _think(rng: random.Random, limits: Limits) -> float:
    """Seconds of reading: exponential around the mean, at most 4x it, never past the end."""
    reading = min(rng.expovariate(1 / limits.think), 4 * limits.think)
    return max(0.0, min(reading, limits.until - time.monotonic()))


def _time_left(limits: Limits, recorder: Recorder) -> bool:
    return time.monotonic() < limits.until and recorder.count("visitors") < limits.max_requests


def _tracing() -> aiohttp.TraceConfig:
    """Time a request waits for one of its visitor's six connections is a browser's queue,
    not the server's time: it is measured, so that it is left out of the request's latency
    (it stays in the page view's)."""

    async def queued(_session, context, _params) -> None:
        context.trace_request_ctx["queued"] = time.perf_counter()

    async def dequeued(_session, context, _params) -> None:
        waits = context.trace_request_ctx
        waits["waited"] += time.perf_counter() - waits.pop("queued")

    trace = aiohttp.TraceConfig()
    trace.on_connection_queued_start.append(queued)
    trace.on_connection_queued_end.append(dequeued)
    return trace


async def _open(visitor: Visitor, kind: str, site: Site, recorder: Recorder) -> None:
    """A page view: the page, then what it shows at once; timed as the visitor sees it."""
    began = time.perf_counter()
    url, expected = _page_url(visitor, kind, site)
    page = await _get(visitor, url, _kind(kind), expected, recorder)
    if page is None:
        return
    text = page.decode("utf-8", "replace")
    assets = [(a, "static") for a in ASSETS.findall(text)]
    assets += [(i, "image") for i in IMG.findall(text)[: FIRST_SCREEN.get(kind, 1)]]
    await asyncio.gather(
        *(_get(visitor, html.unescape(a), k, {200, 304}, recorder) for a, k in assets)
    )
    recorder.views.append(time.perf_counter() - began)


def _page_url(visitor: Visitor, kind: str, site: Site) -> tuple[str, set[int]]:
    """The page a visitor opens next, and the statuses that are right for it."""
    rng = visitor.rng
    if kind == "album" or (kind == "photo" and not visitor.album):
        visitor.album = rng.choice(list(site.public))
        if kind == "album":
            return f"/albums/{visitor.album}", {200, 304}
    if kind == "photo":
        photo = rng.choice(site.public[visitor.album])
        return f"/albums/{visitor.album}/photos/{photo}", {200, 304}
    if kind == "search":
        words = " ".join(rng.sample(WORDS, rng.choice((1, 1, 2))))
        return f"/search?q={words.translate(FOLD) if rng.random() < 0.5 else words}", {200, 304}
    if kind == "unlisted":
        slug, key, _ids = site.unlisted
        return f"/albums/{slug}?key={key}", {200, 304}
    if kind == "private":
        return f"/albums/{site.private}", {404}
    if kind == "year":
        return f"/years/{rng.choice(site.years)}", {200, 304}
    return ("/feed.atom" if kind == "feed" else "/"), {200, 304}


def _kind(page: str) -> str:
    return page if page in ("search", "feed", "photo") else "page"


async def _get(visitor, url, kind, expected, recorder) -> bytes | None:
    """GET as a browser does: from its cache while fresh, else revalidating what it kept."""
    kept = visitor.cache.get(url)
    if kept and time.monotonic() < kept.fresh_until:
        return kept.body
    headers = {"If-None-Match": kept.etag} if kept and kept.etag else {}
    status, body, answer_headers = await _fetch(visitor, url, headers, kind, expected, recorder)
    if status == 200:
        kept = Kept(answer_headers.get("ETag"), _fresh_until(answer_headers), body)
        visitor.cache[url] = kept
    elif status == 304 and kept:
        kept.fresh_until = _fresh_until(answer_headers)
    return kept.body if kept and status in (200, 304) else None


def _fresh_until(headers) -> float:
    directives = [d.strip() for d in headers.get("Cache-Control", "").split(",")]
    if "no-cache" in directives or "no-store" in directives:
        return 0.0
    ages = [int(d[8:]) for d in directives if d.startswith("max-age=") and d[8:].isdigit()]
    return time.monotonic() + ages[0] if ages else 0.0


async def _fetch(visitor, url, headers, kind, expected, recorder):
    """GET and read the whole answer; record its latency (from the moment it has a
    connection to the last byte) and whether it was right."""
    began, waits = time.perf_counter(), {"waited": 0.0}
    try:
        async with visitor.http.get(
            url, headers=headers, allow_redirects=False, trace_request_ctx=waits
        ) as answer:
            body = await answer.read()
            status, answer_headers = answer.status, answer.headers
    except (aiohttp.ClientError, TimeoutError) as exc:
        latency = time.perf_counter() - began - waits["waited"]
        recorder.add("visitors", kind, latency, 0, False, type(exc).__name__)
        return 0, b"", {}
    latency = time.perf_counter() - began - waits["waited"]
    recorder.add("visitors", kind, latency, status, status in expected, f"{status} {url}")
    return status, body, answer_headers
