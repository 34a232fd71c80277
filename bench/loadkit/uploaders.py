"""Staff uploaders: each with an API token, sending its photos one after another and
reading the album's photo list after each (as the staff page, or a sync script, does).

Uploaders are in groups, one group per upload album. Every `shared_every`-th upload of an
uploader is a file its whole group sends at the same moment (they wait for each other):
exactly one of them must get 201 and the others 409. The first shared file has the same
bytes in every group, so each album must take it once: a duplicate is per album.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from loadkit.photos import caption, make_photos
from loadkit.seed import Scale, Site
from loadkit.stats import Recorder
from loadkit.visitors import KEEPALIVE_SECONDS

BARRIER_SECONDS = 60.0  # how long group members wait for each other before sending anyway


@dataclass(frozen=True)
class Upload:
    album: str
    path: Path
    sha256: str
    shared: bool  # sent by the whole group at once


@dataclass
class Answer:
    upload: Upload
    status: int
    photo_id: int | None


@dataclass
class Plan:
    """Each uploader's list of uploads, and the barriers of the shared ones."""

    uploads: list[list[Upload]]
    barriers: dict[tuple[str, int], asyncio.Barrier] = field(default_factory=dict)


def plan_uploads(site: Site, scale: Scale, folder: Path, rng: random.Random) -> Plan:
    """Make the files (before the clock starts) and give each uploader its list."""
    groups = len(site.upload_albums)
    to_make: dict[Path, tuple[int, str]] = {}  # file -> (seed, caption)
    chosen: list[list[tuple[str, Path, bool]]] = []  # per uploader: (album, file, shared)
    for uploader in range(scale.uploaders):
        group = uploader % groups
        mine = []
        for n in range(scale.uploads_each):
            shared = n % scale.shared_every == 0
            # Round 0: the same bytes for everyone (so in every album); later: per group.
            name = f"shared-{0 if n == 0 else group}-{n}" if shared else f"u{uploader}-{n}"
            path = folder / f"{name}.jpg"
            to_make.setdefault(path, (rng.randrange(1 << 30), caption(rng)))
            mine.append((site.upload_albums[group], path, shared))
        chosen.append(mine)
    digests = make_photos(to_make, scale.upload_size)
    uploads = [[Upload(a, path, digests[path], shared) for a, path, shared in c] for c in chosen]
    return Plan(uploads)


def group_sizes(plan: Plan) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for uploads in plan.uploads:
        if uploads:
            sizes[uploads[0].album] = sizes.get(uploads[0].album, 0) + 1
    return sizes


async def upload_all(
    base: str, token: str, uploads: list[Upload], plan: Plan, until: float, recorder: Recorder
) -> list[Answer]:
    """One uploader's session: its uploads in order, until done or out of time."""
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS)
    answers = []
    async with aiohttp.ClientSession(
        base, headers=headers, timeout=timeout, connector=connector
    ) as http:
        for n, upload in enumerate(uploads):
            if time.monotonic() >= until:
                break
            if upload.shared:
                await _meet(plan, upload.album, n)
            answers.append(await _send(http, upload, recorder))
            await _list(http, upload.album, recorder)
    return answers


async def _meet(plan: Plan, album: str, n: int) -> None:
    barrier = plan.barriers.setdefault((album, n), asyncio.Barrier(group_sizes(plan)[album]))
    with contextlib.suppress(TimeoutError):  # a member ran out of time: send anyway
        await asyncio.wait_for(barrier.wait(), BARRIER_SECONDS)


async def _list(http: aiohttp.ClientSession, album: str, recorder: Recorder) -> None:
    """The album's photos through the API, as the staff page or a sync script reads them
    after an upload (a read with a token: it must not trip over the writers)."""
    began = time.perf_counter()
    try:
        async with http.get(f"/api/v1/albums/{album}/photos") as answer:
            await answer.read()
            status = answer.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        recorder.add("uploaders", "list", time.perf_counter() - began, 0, False, type(exc).__name__)
        return
    recorder.add("uploaders", "list", time.perf_counter() - began, status, status == 200)


async def _send(http: aiohttp.ClientSession, upload: Upload, recorder: Recorder) -> Answer:
    form = aiohttp.FormData()
    form.add_field(
        "file", upload.path.read_bytes(), filename=upload.path.name, content_type="image/jpeg"
    )
    began = time.perf_counter()
    try:
        async with http.post(f"/api/v1/albums/{upload.album}/photos", data=form) as answer:
            body = await answer.json(content_type=None)
            status = answer.status
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        recorder.add(
            "uploaders", "upload", time.perf_counter() - began, 0, False, type(exc).__name__
        )
        return Answer(upload, 0, None)
    expected = {201, 409} if upload.shared else {201}
    recorder.add(
        "uploaders",
        "upload",
        time.perf_counter() - began,
        status,
        status in expected,
        f"{status} {body.get('error', '')}",
    )
    return Answer(upload, status, _photo_id(status, body))


def _photo_id(status: int, body: dict) -> int | None:
    if status == 201:
        return body["photo"]["id"]
    if status == 409:
        return body["error"].get("photo_id")
    return None
