"""One load run: seed, serve, browse and upload at once, measure, check."""

from __future__ import annotations

import asyncio
import math
import random
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from loadkit import checks
from loadkit.seed import Scale, Site, seed
from loadkit.server import serving
from loadkit.stats import Recorder, machine_cpu, process_tree_cpu
from loadkit.uploaders import Answer, Plan, plan_uploads, upload_all
from loadkit.visitors import Limits, browse


@dataclass(frozen=True)
class Load:
    """How hard and how long: bounded in time and in requests."""

    visitors: int = 200
    seconds: float = 90.0  # visitors browse this long; no upload starts after it
    think: float = 2.0  # mean seconds a visitor reads a page before opening the next
    ramp: float = 5.0  # visitors arrive spread over this many seconds, not all in one tick
    uploads_after: float = 20.0  # uploaders start when visitors have browsed this long
    max_requests: int = 200_000  # visitor requests at most
    seed: int = 7


@dataclass
class Report:
    recorder: Recorder
    began: float  # time.monotonic() when the load began
    seconds: float  # wall time of the load
    uploads_seconds: tuple[float, float]  # when the uploads began and the last was answered
    client_cpu: float  # CPU seconds of this (client) process during the load
    client_lag: list[tuple[float, float]]  # (monotonic time, s): how late the client's
    # event loop woke up then; its own delay, in every latency it measured meanwhile
    server_cpu: float  # CPU seconds of the server and its worker processes during the load
    machine_busy: float = 0.0  # share of all cores busy during the load, anyone's work
    withdrawals: int = 0  # commits that dropped every kept visitor page (gallery/withdrawals.py)
    machine_samples: list[tuple[float, float, float]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    verdicts: list[checks.Verdict] = field(default_factory=list)
    site: Site | None = None

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)


def _run_in_own_thread(coroutine, *args):
    """asyncio.run in a thread of its own: the caller's thread may run an event loop already
    (in a test session after Playwright's sync API has started)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine(*args))).result()


def run(data: Path, scale: Scale, load: Load, env: dict[str, str] | None = None) -> Report:
    """Seed a gallery in the empty folder `data`, serve it, load it, check it."""
    rng = random.Random(load.seed)
    site = seed(data, scale, rng)
    plan = plan_uploads(site, scale, data.parent / f"{data.name}-to-upload", rng)
    with serving(data, env) as server:
        server_cpu, client_cpu = process_tree_cpu(server.pid), time.process_time()
        busy, total = machine_cpu()
        withdrawals = _withdrawals(data)
        report = _run_in_own_thread(_load, server.url, site, plan, load)
        report.withdrawals = _withdrawals(data) - withdrawals
        report.client_cpu = time.process_time() - client_cpu
        report.server_cpu = process_tree_cpu(server.pid) - server_cpu
        busy_after, total_after = machine_cpu()
        report.machine_busy = (busy_after - busy) / (total_after - total)
        checked = [
            checks.duplicates_answered_once(report.answers),
            checks.nothing_lost(data, report.answers),
            checks.index_consistent(data),
        ]
    report.verdicts = [_no_errors(report.recorder), *checked, checks.server_log_clean(server.log)]
    report.site = site
    return report


async def _load(base: str, site: Site, plan: Plan, load: Load) -> Report:
    recorder, began = Recorder(), time.monotonic()
    until = began + load.seconds
    limits = Limits(until, load.max_requests, load.think)
    uploads = [
        asyncio.create_task(
            _later(load.uploads_after, upload_all(base, token, mine, plan, until, recorder))
        )
        for token, mine in zip(site.tokens, plan.uploads, strict=True)
    ]
    visits = [
        asyncio.create_task(_arrive(n * load.ramp / load.visitors, base, site, limits, recorder, n))
        for n in range(load.visitors)
    ]
    lag = asyncio.create_task(_loop_lag(until))
    machine = asyncio.create_task(_sample_machine(until))
    answers = [a for done in await asyncio.gather(*uploads) for a in done]
    uploading = (min(load.uploads_after, load.seconds), time.monotonic() - began)
    await asyncio.gather(*visits)
    seconds = time.monotonic() - began
    report = Report(recorder, began, seconds, uploading, 0.0, await lag, 0.0, answers=answers)
    report.machine_samples = await machine
    return report


async def _sample_machine(until: float) -> list[tuple[float, float, float]]:
    """(time.monotonic(), busy, total) CPU seconds of the machine, once a second."""
    samples = [(time.monotonic(), *machine_cpu())]
    while time.monotonic() < until:
        await asyncio.sleep(1.0)
        samples.append((time.monotonic(), *machine_cpu()))
    return samples


def _withdrawals(data: Path) -> int:
    with closing(sqlite3.connect(data / "gallery.sqlite3")) as db:
        return db.execute("SELECT count FROM visitor_withdrawals").fetchone()[0]


def machine_busy(report: Report, since: float, until: float) -> float:
    """Share of all cores busy between two times (monotonic), from the samples."""
    inside = [s for s in report.machine_samples if since <= s[0] <= until]
    if len(inside) < 2:
        return math.nan
    return (inside[-1][1] - inside[0][1]) / (inside[-1][2] - inside[0][2])


async def _later(delay: float, work):
    await asyncio.sleep(delay)
    return await work


async def _loop_lag(until: float, every: float = 0.05) -> list[tuple[float, float]]:
    """How much later than asked the loop wakes a sleeper: a busy client adds this much to
    every latency it measures."""
    lags = []
    while time.monotonic() < until:
        asked = time.monotonic() + every
        await asyncio.sleep(every)
        lags.append((asked, time.monotonic() - asked))
    return lags


async def _arrive(delay, base, site, limits, recorder, n) -> None:
    await asyncio.sleep(delay)
    await browse(base, site, limits, recorder, seed=n)


def _no_errors(recorder: Recorder) -> checks.Verdict:
    total = sum(recorder.errors.values())
    worst = ", ".join(f"{why} x{n}" for why, n in recorder.errors.most_common(5))
    return checks.Verdict("zero errors", total == 0, worst or "no request failed")
