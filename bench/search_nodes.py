"""Search on several machines: the change log's lag and its cost.

Run: `.venv/bin/python bench/search_nodes.py [--photos 2000] [--edits 60] [--imports 1200]
[--database URL]`.
Two apps on one database (fresh SQLite, or an empty PostgreSQL database from --database)
with index directories of their own stand for two machines, as in tests/test_search_nodes.py.
Prints, in one run:
- lag: a caption edited and committed through the first machine until the second's index
  finds it, p50/p95, at the default SEARCH_FOLLOW_MS and at 100 ms; the baseline is the
  first machine's own edit -> searchable (its writer thread, what the request waits for);
- the cost of an edit (load a photo, change its caption, commit) and of importing photos
  (one transaction per photo, as the importer does) with and without the log's INSERT,
  in alternating rounds, the index left out (both time the database only);
- what following its own import costs the machine that made it (the one-machine case).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from argparse import ArgumentParser
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gallery import create_app  # noqa: E402
from gallery.core import db  # noqa: E402
from gallery.core.models import Album, Photo  # noqa: E402
from gallery.search import changes  # noqa: E402
from gallery.search.follow import Follower  # noqa: E402
from gallery.search.query import parse_query  # noqa: E402


def make_app(data: Path, url: str, index: Path, follow_ms: int = 1000):
    config = {"DATA_DIR": str(data), "DATABASE_URL": url, "INDEX_DIR": str(index)}
    return create_app({**config, "SEARCH_FOLLOW_MS": follow_ms, "LANGUAGE": "en"})


def found(app, word: str) -> bool:
    index = app.extensions["gallery.search"]
    return index.search(parse_query(word), page=1, per_page=1, staff=True, wait=None).total > 0


def add_photos(app, album_id: int, count: int, start: int) -> list[int]:
    """`count` photos, one transaction each (as an import commits them)."""
    ids, sessions = [], db.session_factory()
    for n in range(start, start + count):
        with sessions() as session:
            photo = Photo(
                album_id=album_id, number=n, filename=f"p{n}.jpg", sha256=f"{n:064x}",
                format="JPEG", byte_size=1000, width=640, height=480,
                caption=f"Tirgus laukumā numur {n}",
            )  # fmt: skip
            session.add(photo)
            session.commit()
            ids.append(photo.id)
    return ids


def edit(app, photo_id: int, caption: str) -> float:
    """Seconds to load, change and commit one caption (the app's session events run)."""
    started = time.perf_counter()
    with db.session_factory()() as session:
        session.get_one(Photo, photo_id).caption = caption
        session.commit()
    return time.perf_counter() - started


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def lag(a, b, photos: list[int], edits: int, tag: str, interval: float) -> list[float]:
    """Seconds from an edit's commit on `a` until `b`'s index finds it; edits come at a
    random moment of the follower's interval, as they would (not right after its poll)."""
    seconds, rng = [], random.Random(tag)
    for i in range(edits):
        time.sleep(rng.uniform(0, interval))
        word = f"zvejnieks{tag}x{i}"
        with a.app_context():
            edit(a, photos[i % len(photos)], word)
        committed = time.perf_counter()
        while not found(b, word):
            time.sleep(0.002)
        seconds.append(time.perf_counter() - committed)
    return seconds


def local(a, photos: list[int], edits: int) -> list[float]:
    """Seconds from an edit's commit until its own machine's index has it (the baseline)."""
    seconds, index = [], a.extensions["gallery.search"]
    for i in range(edits):
        word = f"vietejs{i}"
        with a.app_context():
            edit(a, photos[i % len(photos)], word)
            committed = time.perf_counter()
            index.submit().result()  # after the edit's own job, queued at its commit
        while not found(a, word):
            time.sleep(0.002)
        seconds.append(time.perf_counter() - committed)
    return seconds


@contextmanager
def without_log():
    saved = changes.append
    changes.append = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        yield
    finally:
        changes.append = saved  # type: ignore[assignment]


def costs(a, album_id: int, photos: list[int], rounds: int, imports: int) -> dict:
    """Edit and import costs with and without the log, the index's work left out."""
    index = a.extensions["gallery.search"]
    done: Future = Future()
    done.set_result(True)
    real_submit, index.submit = index.submit, lambda *args, **kwargs: done
    per = {"edit": {True: [], False: []}, "import": {True: [], False: []}}
    start = 10_000_000
    try:
        with a.app_context():
            for r in range(rounds):
                for logged in (True, False) if r % 2 else (False, True):
                    ctx = without_log() if not logged else _nothing()
                    with ctx:
                        times = [edit(a, p, f"cena {r} {p}") for p in photos[:50]]
                        per["edit"][logged].append(statistics.median(times))
                        began = time.perf_counter()
                        add_photos(a, album_id, imports // rounds, start)
                        start += imports
                        per["import"][logged].append(time.perf_counter() - began)
    finally:
        index.submit = real_submit
    return {
        kind: {logged: statistics.median(v) for logged, v in by.items()} for kind, by in per.items()
    }


def follower_cost(a, album_id: int, count: int) -> tuple[float, float]:
    """Seconds for this machine's follower to go over `count` photos it indexed itself (an
    import's), against writing them again (what it would cost without the fingerprints)."""
    index = a.extensions["gallery.search"]
    follower = Follower(index, 1.0)
    with a.app_context():
        follower.poll(index)  # up to date first
        ids = add_photos(a, album_id, count, 20_000_000)
        index.submit(upsert=ids).result()  # what the import's own batch does
        began = time.perf_counter()
        follower.poll(index)
        followed = time.perf_counter() - began
        began = time.perf_counter()
        index.submit(upsert=ids).result()
        written = time.perf_counter() - began
    follower.stop()
    return followed, written


@contextmanager
def _nothing():
    yield


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--imports", type=int, default=1200)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="gallery-nodes-"))
    url = args.database or f"sqlite:///{root / 'gallery.sqlite3'}"
    link = root / "same"
    link.symlink_to(root)
    other_url = (
        f"sqlite:///{link / 'gallery.sqlite3'}"
        if not args.database
        else url + ("&" if "?" in url else "?") + "application_name=node-b"
    )
    a = make_app(root / "a", url, root / "index-a")
    with a.app_context():
        db.migrate(db.get_engine())
        with db.session_factory()() as session:
            album = Album(slug="tirgus", title="Gadatirgus", visibility="public")
            session.add(album)
            session.commit()
            album_id = album.id
        photos = add_photos(a, album_id, args.photos, 1)
        a.extensions["gallery.search"].rebuild().result()
    print(f"{args.photos} photos on {url.split(':')[0]}")
    baseline = local(a, photos, args.edits)
    print("| measure | p50 | p95 | p50 / baseline |\n|---|---|---|---|")
    b50, b95 = percentiles(baseline)
    baseline_row = f"{b50 * 1000:.0f} ms | {b95 * 1000:.0f} ms | 1"
    print(f"| baseline: own machine, edit -> searchable | {baseline_row} |")
    for follow_ms in (1000, 100):
        b = make_app(root / f"b{follow_ms}", other_url, root / f"index-b{follow_ms}", follow_ms)
        follower: Follower = b.extensions["gallery.search.follow"]
        follower.start()
        while not found(b, "tirgus"):  # built from the database first
            time.sleep(0.05)
        p50, p95 = percentiles(lag(a, b, photos, args.edits, str(follow_ms), follow_ms / 1000))
        print(
            f"| other machine, SEARCH_FOLLOW_MS={follow_ms}, commit -> searchable "
            f"| {p50 * 1000:.0f} ms | {p95 * 1000:.0f} ms | {p50 / b50:.1f} |"
        )
        follower.stop()
        b.extensions["gallery.search"].close()
    found_costs = costs(a, album_id, photos, args.rounds, args.imports)
    edit_on, edit_off = found_costs["edit"][True], found_costs["edit"][False]
    imp_on, imp_off = found_costs["import"][True], found_costs["import"][False]
    per = args.imports // args.rounds
    print("\n| cost (index left out) | with the log | without | ratio |\n|---|---|---|---|")
    edits = f"{edit_on * 1e3:.2f} ms | {edit_off * 1e3:.2f} ms | {edit_on / edit_off:.3f}"
    print(f"| one caption edit | {edits} |")
    print(
        f"| import of {per} photos, one transaction each | {imp_on:.2f} s | {imp_off:.2f} s "
        f"| {imp_on / imp_off:.3f} |"
    )
    followed, written = follower_cost(a, album_id, args.imports)
    print(
        f"\nThe first machine's own follower over an import of {args.imports} photos it indexed: "
        f"{followed:.2f} s (fingerprints read, nothing written); writing them again: "
        f"{written:.2f} s ({followed / written:.2f} of it)."
    )


if __name__ == "__main__":
    main()
