"""Hostile searches against ordinary ones: what a crafted query costs, and whether it stalls
the searches of others.

Run: `.venv/bin/python bench/hostile_search.py [--photos 100000] [--data DIR] [--rounds 5]
[--ordinary 300] [--stall-seconds 5] [--markdown]`.
The photos are bench/search.py's synthetic captions (made once into `--data`, then reused:
making 100,000 takes about 5 minutes). Every query goes through the app as a request
(`GET /api/v1/search` on Flask's test client, in the calling thread), so the query's bounds,
its time budget and the database check are all in it; times are the request thread's CPU
time (waiting for a core on a shared machine left out) and wall time.

1. Ordinary queries: bench/search.py's visitor queries, each once, p50 / p95 / max.
2. Hostile queries (HOSTILE below), each `--rounds` times: status, CPU median / max, wall max.
3. The stall, through the production server (`gallery serve`, one process per core): six
   clients send STALLER one after another, each on its own keep-alive connection from
   127.0.0.1, while a seventh, from 127.0.0.2, sends ordinary queries; the ordinary ones'
   wall times against the same queries alone. Once with no rate limit (what the bounds do
   alone) and once with the default one.

The script runs on older versions of the gallery too (set PYTHONPATH to a checkout of one),
so a table of before and after comes from one machine and one data set.
"""

from __future__ import annotations

import http.client
import random
import shutil
import statistics
import sys
import threading
import time
from argparse import ArgumentParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import search as synthetic  # bench/search.py
from loadkit.server import serving

from gallery import create_app
from gallery.core import db

COMMON = "slovākija"  # a seed word in about a tenth of the captions
# name -> (what is typed, page); frequent words of the synthetic captions: every album's
# title has `pasākums`, a third of the photos were taken with a Canon EOS 40D.
HOSTILE: dict[str, tuple[str, int]] = {
    "x 250 times (the issue's)": ("x " * 250, 1),
    "a common word 50 times": (f"{COMMON} " * 50, 1),
    "250 different unknown words": (" ".join(f"x{n}" for n in range(250)), 1),
    "16 different unknown words": (" ".join(f"zvejniek{n}" for n in range(16)), 1),
    "one 500-letter word": ("k" * 500, 1),
    "40 search words in one": ("-".join(f"v{n}" for n in range(40)), 1),
    "16 frequent words": (
        "pasākums canon eos 40d nikon corporation d70 apple iphone 13 "
        "slovākija jomas pieredzi paust viesi līguma",
        1,
    ),
    "4 phrases of words always together": (
        '"canon eos" "eos 40d" "canon eos 40d" "pasākums 1"',
        1,
    ),
    "4 frequent words, page 3": ("pasākums canon eos 40d", 3),
    "4 frequent words, page 40": ("pasākums canon eos 40d", 40),
    "8 filters": (
        'camera:canon camera:eos camera:"canon eos" camera:"eos 40d" camera:"canon eos 40d" '
        "year:2019 taken:2019 keyword:jomas",
        1,
    ),
    "taken:99999999999": ("taken:99999999999", 1),
    "typos in 3 common words": ("slovakijz jomaz pieredzz", 1),
}
STALLER = "a common word 50 times"
STALLERS = 6
NO_LIMIT = {"GALLERY_SEARCH_CLIENT_MS": "0"}


def make_app(data: Path, photos: int, **config):
    """The gallery over `data`, with `photos` synthetic photos (made if it has none)."""
    fresh = not (data / "gallery.sqlite3").exists()
    data.mkdir(parents=True, exist_ok=True)
    app = create_app({"DATA_DIR": str(data), "SEARCH_WAIT": 0, **config})
    with app.app_context():
        db.migrate(db.get_engine())
        if fresh:
            print(f"{photos} photos: filling the database and indexing...", file=sys.stderr)
            seed, lemmas = synthetic.vocabulary()
            synthetic.fill(db.get_session(), photos, seed, lemmas)
            app.extensions["gallery.search"].rebuild().result()
    return app


def ordinary_queries(app, count: int) -> list[str]:
    with app.app_context():
        synthetic.rng.seed(2026)
        seed, lemmas = synthetic.vocabulary()
        return synthetic.queries(db.get_session(), count, seed, lemmas)


def ask(client, text: str, page: int = 1, address: str = "127.0.0.1") -> tuple[int, float, float]:
    """One search through the API: (status, CPU ms, wall ms) of the request's thread."""
    cpu, wall = time.thread_time(), time.perf_counter()
    answer = client.get(
        "/api/v1/search",
        query_string={"q": text, "page": page},
        environ_base={"REMOTE_ADDR": address},
    )
    return (
        answer.status_code,
        (time.thread_time() - cpu) * 1000,
        (time.perf_counter() - wall) * 1000,
    )


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def ordinary(app, texts: list[str]) -> dict[str, float]:
    client = app.test_client()
    for text in texts[:20]:
        ask(client, text)  # warm up, as a running server is
    cpu, wall, statuses = [], [], set()
    for text in texts[20:]:
        status, c, w = ask(client, text)
        statuses.add(status)
        cpu.append(c)
        wall.append(w)
    return {
        "statuses": " ".join(map(str, sorted(statuses))),
        "cpu_p50": percentile(cpu, 50),
        "cpu_p95": percentile(cpu, 95),
        "cpu_max": max(cpu),
        "wall_p50": percentile(wall, 50),
        "wall_p95": percentile(wall, 95),
        "wall_max": max(wall),
    }


def hostile(app, rounds: int) -> dict[str, dict]:
    client = app.test_client()
    rows = {}
    for name, (text, page) in HOSTILE.items():
        runs = [ask(client, text, page) for _ in range(rounds)]
        rows[name] = {
            "statuses": " ".join(str(s) for s in sorted({r[0] for r in runs})),
            "cpu_median": statistics.median(r[1] for r in runs),
            "cpu_max": max(r[1] for r in runs),
            "wall_max": max(r[2] for r in runs),
        }
        print(f"  {name}: {rows[name]}", file=sys.stderr)
    return rows


def stall(data: Path, texts: list[str], seconds: float, env: dict[str, str]) -> dict:
    """Ordinary queries' wall times while STALLERS clients send STALLER, and alone."""
    with serving(data, env=env) as server:
        ordinary_client = Client(server.url, "127.0.0.2")
        for text in texts:
            ordinary_client.search(text)  # every server process warmed up
        alone = [ordinary_client.search(text)[1] for text in texts]
        stop = threading.Event()
        statuses: list[int] = []

        def staller() -> None:
            client = Client(server.url, "127.0.0.1")
            while not stop.is_set():
                statuses.append(client.search(*HOSTILE[STALLER])[0])

        threads = [threading.Thread(target=staller) for _ in range(STALLERS)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # the stallers are at it
        during, rng = [], random.Random(7)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            during.append(ordinary_client.search(rng.choice(texts))[1])
        stop.set()
        for thread in threads:
            thread.join()
    return {
        "alone_p50": percentile(alone, 50),
        "alone_max": max(alone),
        "during_p50": percentile(during, 50),
        "during_p95": percentile(during, 95),
        "during_max": max(during),
        "ordinary": len(during),
        "hostile": len(statuses),
        "refused": statuses.count(429),
        "other": " ".join(sorted({str(s) for s in statuses} - {"200", "429"})),
    }


class Client:
    """One keep-alive HTTP connection to the server, from a chosen loopback address."""

    def __init__(self, url: str, address: str) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=120, source_address=(address, 0)
        )

    def search(self, text: str, page: int = 1) -> tuple[int, float]:
        """(status, wall ms) of one GET /api/v1/search."""
        started = time.perf_counter()
        self.connection.request("GET", "/api/v1/search?" + urlencode({"q": text, "page": page}))
        answer = self.connection.getresponse()
        answer.read()
        return answer.status, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--data", type=Path, help="Made once, then reused (default: a temp dir).")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ordinary", type=int, default=300)
    parser.add_argument("--stall-seconds", type=float, default=5.0)
    args = parser.parse_args()
    data = args.data or Path(f"/tmp/gallery-hostile-{args.photos}")
    unlimited = make_app(data, args.photos, SEARCH_CLIENT_MS=0)  # the bounds alone (no limit)
    texts = ordinary_queries(unlimited, args.ordinary + 20)
    print("ordinary queries...", file=sys.stderr)
    plain = ordinary(unlimited, texts)
    print("hostile queries...", file=sys.stderr)
    rows = hostile(unlimited, args.rounds)
    unlimited.extensions["gallery.search"].close()
    print("stall, no rate limit...", file=sys.stderr)
    stalls = {"no rate limit": stall(data, texts[20:80], args.stall_seconds, NO_LIMIT)}
    print("stall, the default rate limit...", file=sys.stderr)
    stalls["default rate limit"] = stall(data, texts[20:80], args.stall_seconds, {})
    if args.data is None:
        shutil.rmtree(data)
    report(args.photos, plain, rows, stalls)


def report(photos: int, plain: dict, rows: dict, stalls: dict) -> None:
    print(f"\n{photos:,} photos; ordinary queries ({plain['statuses']}):")
    print("| CPU p50 / p95 / max | wall p50 / p95 / max |\n|---:|---:|")
    print(
        f"| {plain['cpu_p50']:.1f} / {plain['cpu_p95']:.1f} / {plain['cpu_max']:.1f} ms "
        f"| {plain['wall_p50']:.1f} / {plain['wall_p95']:.1f} / {plain['wall_max']:.1f} ms |"
    )
    print("\n| hostile query | status | CPU median / max | wall max |\n|---|---|---:|---:|")
    for name, row in rows.items():
        print(
            f"| {name} | {row['statuses']} | {row['cpu_median']:.1f} / {row['cpu_max']:.1f} ms "
            f"| {row['wall_max']:.1f} ms |"
        )
    print(
        f"\nStall: {STALLERS} threads sending '{STALLER}' while one sends ordinary queries."
        "\n| | ordinary alone p50 / max | during p50 / p95 / max | ordinary answered "
        "| hostile answered (429; other) |\n|---|---:|---:|---:|---:|"
    )
    for name, s in stalls.items():
        print(
            f"| {name} | {s['alone_p50']:.1f} / {s['alone_max']:.1f} ms "
            f"| {s['during_p50']:.1f} / {s['during_p95']:.1f} / {s['during_max']:.1f} ms "
            f"| {s['ordinary']} | {s['hostile']} ({s['refused']}; {s['other'] or '-'}) |"
        )


if __name__ == "__main__":
    main()
