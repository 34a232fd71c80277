"""A million photos on one machine: pages, API lists, search, index rebuild and check at
two sizes, with the ratio of the large one's figures to the small one's.

Run:
    .venv/bin/python bench/scale.py build /tmp/scale/1m --photos 1000000
    .venv/bin/python bench/scale.py build /tmp/scale/50k --photos 50000 --files 1000
    .venv/bin/python bench/scale.py report /tmp/scale/50k /tmp/scale/1m [--baseline DIR]
    .venv/bin/python bench/scale.py report /tmp/scale/50k /tmp/scale/1m --postgres URL

With `--postgres`, the same code runs on SQLite and on PostgreSQL side by side: each data
directory's rows moved there first with `gallery --data DIR move --to-database
SERVER/scale_<folder name>`; on PostgreSQL the server's CPU is not the process's, so the
wall times are the figures to compare (printed for both).

`build` makes a gallery of N photos in N/50 albums with rows inserted directly and files
shared (bench/scale_data.py). `report` measures each data directory in a fresh process of
its own per kind of figure, with this checkout's code and, with `--baseline DIR` (a copy of
an older checkout, e.g. `git archive COMMIT | tar -x -C DIR`), with that code too, in the
same run; it prints one Markdown table. Each code keeps its search index in the data
directory under a name of its own (index-<name>), built by the first run that needs it and
reused (`--what rebuild` times a rebuild from the database into a fresh folder).

Figures (CPU time of the process unless said): each page built cold, every cache of the
process emptied before each request (the visitor page cache, the compressed pages, the
laid-out tiles, SQLite's page cache of the connection: as after an edit), median of
`--requests`; search: bench/search.py's visitor queries, p50/p95 of the index part and of
the whole search (index, database check, snippets, facets) and of the whole request of the
search page; rebuild: captions/s in wall time (both cores); `gallery check --quick`: wall
time and peak memory of the real command.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from argparse import ArgumentParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
HEADERS = {"Accept-Encoding": "br, gzip", "Accept-Language": "lv,en;q=0.8"}
STAFF = "scale-bench@school.lv"


# --- the children: one kind of figure of one data directory, as JSON --------------------


def _app(data: Path, index: str, **config):
    from gallery import create_app

    return create_app(
        {
            "DATA_DIR": str(data),
            "INDEX_DIR": str(data / index),
            "SEARCH_WAIT": 0,
            "VISITOR_CACHE_MB": 0,
            "SEARCH_CLIENT_MS": 0,  # no rate limit: one client asks hundreds of searches
            **config,
        }
    )


def _forget(app) -> None:
    """Empty every cache of the process a page build reads: as the first request after an
    edit would find them (the compiled templates and queries stay: code, not data)."""
    from gallery.site import tiles
    from gallery.web import httpcache

    tiles.album_grid.cache_clear()
    tiles._rows.cache_clear()
    httpcache._pages.items.clear()
    for name in ("gallery.pagecache", "gallery.pagecache.media"):
        kept = app.extensions.get(name)
        if kept is not None:
            kept.items.clear()
    engine = app.extensions["gallery.engine"]
    if engine.dialect.name == "sqlite":  # PostgreSQL's shared buffers stay, as in a server
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA shrink_memory")  # SQLite's page cache


def _staff_token(app) -> str:
    runner = app.test_cli_runner()
    runner.invoke(
        args=["users", "add", STAFF, "--role", "staff", "--password-stdin"],
        input="scale-bench-pass-phrase-2026",
    )
    return runner.invoke(args=["users", "token", STAFF]).output.strip()


def _pick(app) -> dict[str, str]:
    """A public album of about 50 photos, one of its photos, a year with albums."""
    from sqlalchemy import text

    with app.extensions["gallery.engine"].connect() as connection:
        slug = connection.execute(
            text(
                "SELECT a.slug FROM albums a WHERE a.visibility = 'public' AND a.status = 'active'"
                " AND (SELECT count(*) FROM photos p WHERE p.album_id = a.id) BETWEEN 45 AND 55"
                " ORDER BY a.id LIMIT 1"
            )
        ).scalar_one()
        photo = connection.execute(
            text(
                "SELECT p.id FROM photos p JOIN albums a ON a.id = p.album_id WHERE a.slug = :s"
                " AND p.status = 'active' AND p.consent = 'ok' ORDER BY p.number LIMIT 1 OFFSET 20"
            ),
            {"s": slug},
        ).scalar_one()
    return {"album": slug, "photo": str(photo), "year": "2016"}


def pages(data: Path, index: str, requests: int, seconds: float) -> dict:
    app = _app(data, index)
    token = _staff_token(app)
    picked = _pick(app)
    staff = {**HEADERS, "Authorization": f"Bearer {token}"}
    routes = {
        "home": ("/", HEADERS),
        "year": (f"/years/{picked['year']}", HEADERS),
        "album": (f"/albums/{picked['album']}", HEADERS),
        "photo": (f"/albums/{picked['album']}/photos/{picked['photo']}", HEADERS),
        "feed": ("/feed.atom", HEADERS),
        "api_albums": ("/api/v1/albums", HEADERS),
        "staff_albums": ("/staff/", staff),
    }
    return {
        name: _cold(app, path, headers, requests, seconds)
        for name, (path, headers) in routes.items()
    }


def _cold(app, path: str, headers: dict, requests: int, seconds: float) -> dict:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=path, headers=headers).get_environ()
    status, cpu, wall, size = [""], [], [], 0

    def start_response(code, _headers, _exc=None):
        status[0] = code

    began = time.monotonic()
    for n in range(requests + 3):
        _forget(app)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        body = b"".join(app.wsgi_app(dict(environ), start_response))
        if n >= 3:  # templates compiled, queries compiled
            cpu.append((time.process_time() - cpu0) * 1000)
            wall.append((time.perf_counter() - wall0) * 1000)
        size = len(body)
        if n >= 8 and time.monotonic() - began > seconds:
            break
    if not status[0].startswith("200"):
        raise SystemExit(f"{path}: {status[0]}")
    return {
        "cpu_ms": statistics.median(cpu),
        "wall_ms": statistics.median(wall),
        "bytes": size,
        "n": len(cpu),
    }


def search(data: Path, index: str, queries: int) -> dict:
    sys.path.insert(0, str(HERE))
    import search as synthetic  # bench/search.py

    from gallery.core import db
    from gallery.search.query import parse_query  # noqa: F401  (both codes have it)

    app = _app(data, index)
    with app.app_context():
        session = db.get_session()
        index_ = app.extensions["gallery.search"]
        started = time.perf_counter()
        index_.ensure()
        built = time.perf_counter() - started
        synthetic.rng.seed(2019)
        seed, lemmas = synthetic.vocabulary()
        texts = synthetic.queries(session, queries + 20, seed, lemmas)
        started, cpu0 = time.perf_counter(), time.thread_time()
        synthetic.time_queries(index_, session, texts[queries:])  # as a running server is
        warm = (time.perf_counter() - started, time.thread_time() - cpu0)
        row = synthetic.time_queries(index_, session, texts[:queries], time.thread_time)
        row.update(_search_pages(app, texts[:queries]))
        row.update(_common_words(index_, session))
        row["ensure_s"], row["warm_up_s"], row["warm_up_cpu_s"] = built, *warm
        index_.close()
    row["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


COMMON = ("pasākums", "foto")  # in every album's title, in every credit: every photo


def _common_words(index_, session) -> dict:
    """The whole search for words every photo holds (the median of 5 after a first that
    reads the posting list): what facets and ranking cost when the hits are all photos."""
    from gallery.search.query import parse_query
    from gallery.search.results import run_search

    out = {}
    for word in COMMON:
        times, total = [], 0
        for n in range(6):
            cpu0 = time.thread_time()
            total = run_search(index_, session, parse_query(word)).total
            if n:
                times.append((time.thread_time() - cpu0) * 1000)
        out[f"common_{word}"] = (total, statistics.median(times))
    return out


def _search_pages(app, texts: list[str]) -> dict:
    """The whole request of the visitor search page (page cache off), CPU of the process."""
    from urllib.parse import quote

    client, times, walls = app.test_client(), [], []
    for text in texts:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        response = client.get(f"/search?q={quote(text)}", headers=HEADERS)
        assert response.status_code == 200, response.status_code
        times.append((time.process_time() - cpu0) * 1000)
        walls.append((time.perf_counter() - wall0) * 1000)
    cpu = statistics.quantiles(times, n=100, method="inclusive")
    wall = statistics.quantiles(walls, n=100, method="inclusive")
    return {
        "page_p50": cpu[49],
        "page_p95": cpu[94],
        "page_wall_p50": wall[49],
        "page_wall_p95": wall[94],
    }


def rebuild(data: Path, index: str) -> dict:
    """A rebuild from nothing: a fresh folder's index made and filled from the database
    (and, with this code, its large segments' arrays written), wall time and the CPU of
    this process and its children."""
    from gallery.core import db

    folder = Path(tempfile.mkdtemp(prefix="scale-index-", dir=data))
    try:
        app = _app(data, folder.name)
        with app.app_context():
            index_ = app.extensions["gallery.search"]
            count = (
                db.get_session()
                .execute(__import__("sqlalchemy").text("SELECT count(*) FROM photos"))
                .scalar_one()
            )
            started, cpu0 = time.perf_counter(), _cpu()
            index_.ensure()  # missing: made, then rebuilt from the database
            seconds, cpu = time.perf_counter() - started, _cpu() - cpu0
            index_.close()
        size = sum(p.stat().st_size for p in folder.iterdir())
    finally:
        subprocess.run(["rm", "-rf", str(folder)], check=False)
    return {
        "captions": count,
        "seconds": seconds,
        "rate": count / seconds,
        "cpu_s": cpu,
        "mb": size / 2**20,
    }


def _cpu() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def check(data: Path, index: str) -> dict:
    env = {**os.environ, "GALLERY_INDEX_DIR": str(data / index)}
    command = [sys.executable, "-m", "gallery", "--data", str(data), "check", "--quick", "--json"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "exit": done.returncode,
        "problems": len(report.get("problems", [])),
        "stats": report.get("stats", {}),
        "error": done.stderr[-500:] if done.returncode not in (0, 1) else "",
    }


CHILDREN = {"pages", "search", "rebuild", "check"}


def child(what: str, data: Path, index: str, options) -> None:
    if what == "pages":
        result = pages(data, index, options.requests, options.seconds)
    elif what == "search":
        result = search(data, index, options.queries)
    elif what == "rebuild":
        result = rebuild(data, index)
    else:
        result = check(data, index)
    print(json.dumps(result))


# --- the report ---------------------------------------------------------------------------


def run_child(code: Path, what: str, data: Path, index: str, options, database="") -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    if database:  # the data directory's rows on PostgreSQL: SERVER/scale_<folder name>
        env["GALLERY_DATABASE_URL"] = f"{database.rsplit('/', 1)[0]}/scale_{data.name}"
    command = [
        sys.executable, str(Path(__file__)), what, str(data), "--index", index,
        "--requests", str(options.requests), "--seconds", str(options.seconds),
        "--queries", str(options.queries),
    ]  # fmt: skip
    print(f"  {code.name}: {what} of {data}...", file=sys.stderr)
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, cwd=code)
    if done.returncode != 0:
        raise SystemExit(f"{what} of {data} with {code} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(options) -> None:
    codes = [("new", CHECKOUT)]
    if options.baseline:
        codes.insert(0, ("today", Path(options.baseline).resolve()))
    if options.postgres:  # this code on both engines, sharing its index (same rows)
        codes = [("sqlite", CHECKOUT), ("postgres", CHECKOUT)]
    small, large = Path(options.small), Path(options.large)
    results: dict = {}
    for what in options.what:
        for name, code in codes:
            database = options.postgres if name == "postgres" else ""
            index = "index-new" if options.postgres else f"index-{name}"
            for data in (small, large):
                results[name, what, data.name] = run_child(
                    code, what, data, index, options, database
                )
    out = Path(options.json) if options.json else None
    if out:
        out.write_text(
            json.dumps({f"{k[0]}/{k[1]}/{k[2]}": v for k, v in results.items()}, indent=1)
        )
    _print(results, [name for name, _code in codes], small.name, large.name, options.what)


ROWS = {
    "pages": [
        (f"{name} ({kind} ms, cold)", lambda r, n=name, k=key: r[n][k], "{:.1f}")
        for kind, key in (("CPU", "cpu_ms"), ("wall", "wall_ms"))
        for name in ("home", "year", "album", "photo", "feed", "api_albums", "staff_albums")
    ],
    "search": [
        (
            "search p50 / p95, index part (CPU ms)",
            lambda r: (r["engine_p50"], r["engine_p95"]),
            "{:.1f} / {:.1f}",
        ),
        (
            "search p50 / p95, whole search (CPU ms)",
            lambda r: (r["full_p50"], r["full_p95"]),
            "{:.1f} / {:.1f}",
        ),
        (
            "search page p50 / p95, whole request (CPU ms)",
            lambda r: (r["page_p50"], r["page_p95"]),
            "{:.1f} / {:.1f}",
        ),
        (
            "search page p50 / p95, whole request (wall ms)",
            lambda r: (r.get("page_wall_p50", 0), r.get("page_wall_p95", 0)),
            "{:.1f} / {:.1f}",
        ),
        ("search: median hits", lambda r: r["hits_median"], "{:,.0f}"),
        *[
            (
                f"search for '{word}': hits / whole search (CPU ms)",
                lambda r, w=word: r[f"common_{w}"],
                "{:,} / {:.1f}",
            )
            for word in COMMON
        ],
        (
            "search: index opened and 20 queries, first after start (s, CPU)",
            lambda r: r["warm_up_cpu_s"],
            "{:.1f}",
        ),
        ("search: peak memory (MB)", lambda r: r["rss_mb"], "{:,.0f}"),
    ],
    "rebuild": [
        ("index rebuild (captions/s, wall)", lambda r: r["rate"], "{:,.0f}"),
        ("index rebuild (CPU s, every process)", lambda r: r.get("cpu_s", 0), "{:,.0f}"),
        ("index size (MB)", lambda r: r["mb"], "{:,.0f}"),
    ],
    "check": [
        ("check --quick (s, wall)", lambda r: r["wall_s"], "{:.1f}"),
        ("check --quick peak memory (MB)", lambda r: r["peak_mb"], "{:,.0f}"),
    ],
}


def _tupled(value):
    return tuple(value) if isinstance(value, list) else value  # pairs come back from JSON as lists


def _print(results: dict, names: list[str], small: str, large: str, whats: list[str]) -> None:
    head = [f"{name} {size}" for name in names for size in (small, large)]
    print("| what | " + " | ".join(head) + " | " + " | ".join(f"{n} ratio" for n in names) + " |")
    print("|---|" + "---:|" * (len(head) + len(names)))
    for what in whats:
        for label, get, fmt in ROWS[what]:
            cells, ratios = [], []
            for name in names:
                values = [_tupled(get(results[name, what, size])) for size in (small, large)]
                cells += [fmt.format(*v) if isinstance(v, tuple) else fmt.format(v) for v in values]
                a, b = (v[-1] if isinstance(v, tuple) else v for v in values)
                ratios.append(f"{b / a:.2f}x" if a else "")
            print(f"| {label} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=sorted({"build", "report", *CHILDREN}))
    parser.add_argument("data", nargs="+", help="build: the folder; report: small and large")
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument(
        "--files", type=int, default=20_000, help="distinct originals shared by the rows"
    )
    parser.add_argument("--baseline", help="another checkout's root, measured in the same run")
    parser.add_argument("--index", default="index-new")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20.0, help="at most per page")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--what", nargs="+", default=["pages", "search", "check"], choices=sorted(CHILDREN)
    )
    parser.add_argument("--json", help="also write every figure here")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="report: this code on SQLite and on PostgreSQL (databases scale_<folder> on the "
        "server of URL, filled by `gallery move --to-database`), in the same run",
    )
    options = parser.parse_args()
    if options.command == "build":
        sys.path.insert(0, str(HERE))
        import scale_data

        scale_data.build(Path(options.data[0]), options.photos, options.files)
    elif options.command == "report":
        options.small, options.large = options.data
        report(options)
    else:
        child(options.command, Path(options.data[0]), options.index, options)


if __name__ == "__main__":
    main()
