"""Every request's outcome, and the figures made from them."""

from __future__ import annotations

import math
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Sample:
    latency: float  # seconds, from sending the request to the last byte of the answer
    status: int  # 0 when there was no answer (connection error, time-out)
    ok: bool
    ended: float  # time.monotonic() when the answer was in


@dataclass
class Recorder:
    """Samples by class (visitors, uploaders) and kind (page, image, search, upload...)."""

    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)  # "class kind: what went wrong" -> count
    views: list[float] = field(default_factory=list)  # visitors' page views: page + its assets
    counts: Counter = field(default_factory=Counter)  # class -> samples so far (asked often)

    def add(self, who: str, kind: str, latency: float, status: int, ok: bool, why: str = ""):
        self.samples[who, kind].append(Sample(latency, status, ok, time.monotonic()))
        self.counts[who] += 1
        if not ok:
            self.errors[f"{who} {kind}: {why or status}"] += 1

    def of(self, who: str, kind: str | None = None, ended=(0.0, math.inf)) -> list[Sample]:
        """The samples of a class (and kind), answered within `ended` (monotonic times)."""
        return [
            sample
            for (cls, k), samples in self.samples.items()
            if cls == who and kind in (None, k)
            for sample in samples
            if ended[0] <= sample.ended < ended[1]
        ]

    def kinds(self, who: str) -> list[str]:
        return sorted(k for cls, k in self.samples if cls == who)

    def count(self, who: str) -> int:
        return self.counts[who]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (the value that `share` of the values are at or under)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True)
class Figures:
    requests: int
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


def figures(samples: list[Sample], seconds: float) -> Figures:
    latencies = [s.latency * 1000 for s in samples]
    return Figures(
        requests=len(samples),
        per_second=len(samples) / seconds if seconds else 0.0,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        errors=sum(not s.ok for s in samples),
    )


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and all its descendants."""
    parents, cpu = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return sum(seconds for p, seconds in cpu.items() if _descends(p, pid, parents))


def _descends(pid: int, ancestor: int, parents: dict[int, int]) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        pid = parents.get(pid, 0)
    return False


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (from /proc/stat)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick
