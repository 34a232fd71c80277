"""Search benchmark: synthetic Latvian captions, indexed and queried through the app's code.

Run: `.venv/bin/python bench/search.py [--sizes 10000 100000] [--queries 300] [--keep]
[--clock cpu]`.
For each size: photos straight into a fresh SQLite database (captions of 6-16 words:
words of the seed article and pseudo-Latvian words in random grammatical cases,
Zipf-distributed; 0-3 keywords from the seed's words; cameras; years), then
`SearchIndex.rebuild()` from the database (indexing rate, index size), then visitor
queries typed without diacritics in other cases than indexed (p50/p95 of the Whoosh part
and of the whole search with the database check, snippets and facets), then captions
edited through the ORM until a search finds them (edit -> searchable).
Prints a Markdown table. `--clock cpu` times the queries in the CPU time of the searching
thread, not wall time: on a shared machine, waiting for a core is then left out, so two
versions of the code run one after the other compare fairly.
"""

from __future__ import annotations

import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from argparse import ArgumentParser
from itertools import accumulate
from pathlib import Path

from sqlalchemy import insert

from gallery import create_app
from gallery.core import db
from gallery.core.models import Album, Photo
from gallery.search.engine import SearchIndex
from gallery.search.latvian import fold
from gallery.search.query import parse_query
from gallery.search.results import run_search

SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "seed" / "article-lv.txt"
FALLBACK = "Daugavpils tehnikums konference audzēkņi mācību darba vidē sadarbības pieredze"
SYLLABLES = re.findall(r"\w+", "ka ra la ma tu ve di sē pu nī gā ze bo ci ļa ņe re kū ša ži te")
ENDINGS = {
    "s": ("s", "a", "am", "u", "ā", "i", "us", "iem", "os"),
    "a": ("a", "as", "ai", "u", "ā", "ām", "ās"),
    "e": ("e", "es", "ei", "i", "ē", "ēm", "ēs"),
}
CAMERAS = [("Canon", "Canon EOS 40D"), ("NIKON CORPORATION", "D70"), ("Apple", "iPhone 13")]
PER_ALBUM = 200
rng = random.Random(2019)


def vocabulary() -> tuple[list[str], list[tuple[str, str]]]:
    """Seed words (frequent, as written) and pseudo-Latvian lemmas (stem, declension)."""
    text = SEED.read_text() if SEED.exists() else FALLBACK
    seed = sorted({w for w in re.findall(r"\w+", text.lower()) if len(w) > 3 and w.isalpha()})
    distinct: set[tuple[str, str]] = set()
    while len(distinct) < 20_000:
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
        distinct.add((stem, rng.choice("sae")))
    lemmas = sorted(distinct)
    rng.shuffle(seed)
    rng.shuffle(lemmas)  # frequency rank independent of spelling
    return seed, lemmas


def zipf_index(n: int) -> int:
    """A rank in 0..n-1 by Zipf-Mandelbrot frequencies, 1 / (rank + 10): like real words."""
    if n not in _CUMULATIVE:
        _CUMULATIVE[n] = list(accumulate(1 / (rank + 10) for rank in range(n)))
    return rng.choices(range(n), cum_weights=_CUMULATIVE[n])[0]


_CUMULATIVE: dict[int, list[float]] = {}


def inflect(lemma: tuple[str, str]) -> str:
    stem, declension = lemma
    return stem + rng.choice(ENDINGS[declension])


def caption(seed: list[str], lemmas: list[tuple[str, str]]) -> str:
    words = [seed[zipf_index(len(seed))] for _ in range(rng.randint(1, 2))]
    words += [inflect(lemmas[zipf_index(len(lemmas))]) for _ in range(rng.randint(5, 14))]
    rng.shuffle(words)
    return " ".join(words).capitalize()


def fill(session, count: int, seed, lemmas) -> None:
    """`count` photos in public albums of PER_ALBUM, inserted in bulk."""
    albums = [
        Album(slug=f"a{n}", title=f"Pasākums {n}", visibility="public")
        for n in range(-(-count // PER_ALBUM))
    ]
    session.add_all(albums)
    session.flush()
    rows = []
    for n in range(count):
        make, model = rng.choice(CAMERAS)
        rows.append(
            {
                "album_id": albums[n // PER_ALBUM].id,
                "number": n % PER_ALBUM + 1,
                "filename": f"{n}.jpg",
                "sha256": f"{n:064x}",
                "format": "JPEG",
                "byte_size": 1,
                "width": 4000,
                "height": 3000,
                "caption": caption(seed, lemmas),
                "keywords": [seed[zipf_index(len(seed))] for _ in range(rng.randint(0, 3))],
                "camera_make": make,
                "camera_model": model,
                "taken_at": f"{rng.randint(2005, 2025)}-05-0{rng.randint(1, 9)}T10:00:00",
                "consent": "ok" if rng.random() > 0.02 else "no_public",
            }
        )
    for start in range(0, count, 5000):
        session.execute(insert(Photo), rows[start : start + 5000])
    session.commit()


def queries(session, count: int, seed, lemmas) -> list[str]:
    """What visitors type: one or two words in another case, no diacritics, some filters."""
    out = []
    for _ in range(count):
        kind = rng.random()
        words = [fold(inflect(lemmas[zipf_index(len(lemmas))]))]
        if kind < 0.2:
            photo = session.get(Photo, rng.randint(1, 1000))
            words = [fold(w.lower()) for w in rng.sample(photo.caption.split(), 2)]
        elif kind < 0.3:
            words = [fold(seed[zipf_index(len(seed))])]
        elif kind < 0.4:
            words.append(f"year:{rng.randint(2005, 2025)}")
        out.append(" ".join(words))
    return out


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


def time_queries(
    index: SearchIndex, session, texts: list[str], clock=time.perf_counter
) -> dict[str, float]:
    """Each query once, timing the whole search and, within it, the Whoosh part."""
    engine_search = index.search
    inner: list[float] = []

    def timed_search(*args, **kwargs):
        started = clock()
        try:
            return engine_search(*args, **kwargs)
        finally:
            inner.append((clock() - started) * 1000)

    index.search = timed_search  # type: ignore[method-assign]
    full, hits = [], []
    try:
        for text in texts:
            started = clock()
            hits.append(run_search(index, session, parse_query(text)).total)
            full.append((clock() - started) * 1000)
    finally:
        del index.search
    return {
        "engine_p50": percentile(inner, 50),
        "engine_p95": percentile(inner, 95),
        "full_p50": percentile(full, 50),
        "full_p95": percentile(full, 95),
        "hits_median": statistics.median(hits),
    }


def time_edits(index: SearchIndex, session, count: int, edits: int = 10) -> list[float]:
    """Seconds from an edit's commit until a search finds the new word."""
    seconds = []
    for n in range(edits):
        word = f"zvejnieks{n}x"
        photo = session.get(Photo, rng.randint(1, count))
        photo.caption = f"{photo.caption} {word}"
        started = time.perf_counter()
        session.commit()  # the session events queue the photo for the writer thread
        while run_search(index, session, parse_query(word), staff=True).total == 0:
            time.sleep(0.005)
        seconds.append(time.perf_counter() - started)
    return seconds


def measure(count: int, n_queries: int, keep: bool, clock=time.perf_counter) -> dict[str, float]:
    data = Path(tempfile.mkdtemp(prefix=f"gallery-search-{count}-"))
    app = create_app({"DATA_DIR": str(data), "SEARCH_WAIT": 0})
    with app.app_context():
        db.migrate(db.get_engine())
        session = db.get_session()
        seed, lemmas = vocabulary()
        print(f"{count} photos: filling the database...", file=sys.stderr)
        fill(session, count, seed, lemmas)
        index: SearchIndex = app.extensions["gallery.search"]
        started = time.perf_counter()
        index.rebuild().result()
        index_s = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(app.config["INDEX_DIR"]).iterdir())
        print(f"  indexed in {index_s:.1f} s; querying...", file=sys.stderr)
        texts = queries(session, n_queries + 20, seed, lemmas)
        time_queries(index, session, texts[n_queries:])  # warm up as a running server is
        row = time_queries(index, session, texts[:n_queries], clock)
        edits = time_edits(index, session, count)
        index.close()
    app.extensions["gallery.engine"].dispose()
    if not keep:
        shutil.rmtree(data)
    rate = count / index_s
    return {
        **row,
        "rate": rate,
        "mb": size / 2**20,
        "edit_med": statistics.median(edits),
        "edit_max": max(edits),
    }


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="Keep the data directories.")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="Time queries in wall time, or in the searching thread's CPU time.",
    )
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    rows = {count: measure(count, args.queries, args.keep, clock) for count in args.sizes}
    cpu = ", CPU" if args.clock == "cpu" else ""
    print(
        f"| captions | indexing | index size | query p50 / p95 (Whoosh{cpu}) "
        f"| query p50 / p95 (whole search{cpu}) | median hits "
        "| edit -> searchable (median / max) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for count, r in rows.items():
        print(
            f"| {count:,} | {r['rate']:,.0f} captions/s | {r['mb']:.1f} MB "
            f"| {r['engine_p50']:.1f} / {r['engine_p95']:.1f} ms "
            f"| {r['full_p50']:.1f} / {r['full_p95']:.1f} ms | {r['hits_median']:,.0f} "
            f"| {r['edit_med'] * 1000:.0f} / {r['edit_max'] * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()
