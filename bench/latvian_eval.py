"""Latvian search evaluation: recall and precision per word class, and what each analysis costs.

Run: `.venv/bin/python bench/latvian_eval.py [--captions 10000] [--queries 300] [--rounds 2]
[--before REV] [--variants before light simplemma hunspell-runtime kept]`.
The evaluation set is tests/data/latvian_eval.json (captions of school news, queries typed
without diacritics, in base or inflected forms or with typos, each judged by hand and given
a word class). Each analysis indexes the captions through the app's SearchIndex and
answers every query as the search page does (a typo: what its "did you mean" finds);
recall and precision are counted over (query, caption) pairs. The analyses, one after the
other in this process:
- before: the analyzer of commit REV (read with `git show`), the one issue 17 started from;
- light: the new light stemmer alone (feminine -niece, no dictionary data);
- simplemma: the light stemmer over simplemma's Latvian lemma of each (folded) word;
- hunspell-runtime: the light stemmer over the lemma of each (folded) noun form that
  hunspell-lv's rules generate, built when the process starts (spylls);
- kept: the light stemmer with the lexicon drawn from hunspell-lv (latvian_lexicon.py).
Then the cost: the time and memory each needs to get ready, and on a synthetic corpus of
bench/search.py, captions a second through the analyzer alone (from a cold stem cache) and
through a rebuild of the index (wall clock, and per second of the process's CPU, which
other work on the machine disturbs less), in rounds that alternate the order of the
analyses (medians printed); and the p50/p95 of its visitor queries, each query run on
every analysis's index in turn.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from argparse import ArgumentParser
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import search as synthetic  # bench/search.py
from sqlalchemy import insert, select
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StopFilter

from gallery import create_app
from gallery.core import db
from gallery.core.models import Album, Photo
from gallery.search import latvian
from gallery.search import latvian_lexicon as lexicon
from gallery.search.engine import SearchIndex
from gallery.search.query import parse_query
from gallery.search.results import run_search

ROOT = Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "tests" / "data" / "latvian_eval.json"
BEFORE = "3d01f2d"  # the last commit that changed gallery/search/latvian.py before issue 17
VARIANTS = ("before", "light", "simplemma", "hunspell-runtime", "kept")

# A variant's word -> search form; the filter names its variant, so it pickles into an index.
STEMMERS: dict[str, Callable[[str], str]] = {}
LOAD_COSTS: dict[str, tuple[float, float]] = {}  # variant -> (seconds, MB) to get ready


class FoldFilter(Filter):
    """Latin diacritics removed from each token (the app folds inside latvian.LatvianTerms)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = latvian.fold(token.text)
            yield token


class VariantStemFilter(Filter):
    def __init__(self, variant: str):
        self.variant = variant

    def __call__(self, tokens):
        stem = STEMMERS[self.variant]
        for token in tokens:
            token.text = stem(token.text)
            yield token


def _light(word: str) -> str:
    if not word.isalpha() or latvian.is_foreign(word):
        return word
    return latvian.light_stem(word, frozenset())


def _pair(text: str) -> tuple[str, str]:
    form, _, noun = text.partition(":")
    return form, noun


def _over_lemmas(lemmas: dict[str, str]) -> Callable[[str], str]:
    return lru_cache(maxsize=200_000)(lambda word: _light(lemmas.get(word, word)))


def _simplemma_lemmas() -> dict[str, str]:
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    lemmas: dict[str, str] = {}
    for form, lemma in DefaultDictionaryFactory().get_dictionary("lv").items():
        lemmas.setdefault(latvian.fold(form.lower()), latvian.fold(lemma.lower()))
    return lemmas


def _hunspell_lemmas() -> dict[str, str]:
    import hunspell_lv  # bench/hunspell_lv.py

    lemmas: dict[str, str] = {}
    for noun in hunspell_lv.nouns(hunspell_lv.load()):
        for form in noun.forms:
            lemmas.setdefault(form, noun.lemma)
    return lemmas


def _before_module(rev: str):
    """gallery/search/latvian.py as it was at `rev`, importable as `latvian_before`."""
    source = subprocess.run(
        ["git", "show", f"{rev}:gallery/search/latvian.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader("latvian_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["latvian_before"] = module  # Whoosh unpickles the analyzer from the index
    exec(compile(source, f"{rev}:latvian.py", "exec"), module.__dict__)
    return module


def analyzer(variant: str, before_rev: str):
    """The text field's analyzer of one variant (loading its data the first time)."""
    if variant == "kept":
        if variant not in LOAD_COSTS:  # what importing the lexicon costs
            tracemalloc.start()
            started = time.perf_counter()
            parsed = (frozenset(lexicon.AJ_NOUNS.split()), dict(map(_pair, lexicon.STEMS.split())))
            seconds, (size, _peak) = time.perf_counter() - started, tracemalloc.get_traced_memory()
            tracemalloc.stop()
            LOAD_COSTS[variant] = (seconds, size / 2**20)
            del parsed
        return latvian.latvian_analyzer()
    if variant == "before":
        return _before_module(before_rev).latvian_analyzer()
    if variant not in STEMMERS:
        tracemalloc.start()
        started = time.perf_counter()
        loaders = {"simplemma": _simplemma_lemmas, "hunspell-runtime": _hunspell_lemmas}
        STEMMERS[variant] = _over_lemmas(loaders[variant]()) if variant in loaders else _light
        seconds, (size, _peak) = time.perf_counter() - started, tracemalloc.get_traced_memory()
        tracemalloc.stop()
        LOAD_COSTS[variant] = (seconds, size / 2**20)
    return (
        RegexTokenizer(r"\w+")
        | LowercaseFilter()
        | FoldFilter()
        | StopFilter(latvian.STOP_WORDS, minsize=1)
        | VariantStemFilter(variant)
    )


def fill_eval_set(session, captions: dict[str, str]) -> None:
    album = Album(slug="eval", title="Evaluation", visibility="public")
    session.add(album)
    session.flush()
    rows = [
        {
            "album_id": album.id,
            "number": int(key),
            "filename": f"{key}.jpg",
            "sha256": f"{int(key):064x}",
            "format": "JPEG",
            "byte_size": 1,
            "width": 4000,
            "height": 3000,
            "caption": text,
        }
        for key, text in captions.items()
    ]
    session.execute(insert(Photo), rows)
    session.commit()


def answer(index: SearchIndex, session, query: str) -> set[int]:
    """The captions a visitor gets: the hits, else the hits of the "did you mean"."""
    results = run_search(index, session, parse_query(query), per_page=100)
    if not results.hits and results.suggestion is not None:
        results = run_search(index, session, results.suggestion, per_page=100)
    return {hit.photo.number for hit in results.hits}


def score(found: dict[str, set[int]], queries: list[dict]) -> dict[str, tuple[float, float]]:
    """Recall and precision over (query, caption) pairs, per word class and "overall"."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # relevant, found, right
    for q in queries:
        got, relevant = found[q["query"]], set(q["relevant"])
        for name in (q["class"], "overall"):
            counts[name][0] += len(relevant)
            counts[name][1] += len(got)
            counts[name][2] += len(got & relevant)
    return {name: (right / rel, right / max(n, 1)) for name, (rel, n, right) in counts.items()}


def evaluate(variants: list[str], before_rev: str) -> dict[str, dict[str, tuple[float, float]]]:
    data = json.loads(EVAL_SET.read_text())
    root = Path(tempfile.mkdtemp(prefix="gallery-lv-eval-"))
    app = create_app({"DATA_DIR": str(root), "SEARCH_WAIT": 0})
    figures = {}
    with app.app_context():
        db.migrate(db.get_engine())
        session = db.get_session()
        fill_eval_set(session, data["captions"])
        for variant in variants:
            index = SearchIndex(
                root / f"index-{variant}",
                db.session_factory(writes=False),
                analyzer=analyzer(variant, before_rev),
            )
            index.rebuild().result()
            found = {q["query"]: answer(index, session, q["query"]) for q in data["queries"]}
            session.rollback()  # reads only; the next index reads without waiting
            figures[variant] = score(found, data["queries"])
            index.close()
    app.extensions["gallery.engine"].dispose()
    shutil.rmtree(root)
    return figures


def _clear_cache(variant: str) -> None:
    """Forget the stems already made, so each round analyses from cold like a new process."""
    stem: Any = {
        "kept": latvian.stem,
        "before": getattr(sys.modules.get("latvian_before"), "stem", None),
    }.get(variant, STEMMERS.get(variant))
    if hasattr(stem, "cache_clear"):
        stem.cache_clear()


def _analysis_rate(variant: str, before_rev: str, texts: list[str]) -> float:
    """Captions a CPU second through the analyzer alone (the analysis's share of ingest)."""
    chain = analyzer(variant, before_rev)
    _clear_cache(variant)
    started = time.process_time()
    for text in texts:
        for _token in chain(text):
            pass
    return len(texts) / (time.process_time() - started)


def cost(variants: list[str], before_rev: str, captions: int, n_queries: int, rounds: int):
    """Captions a second through the analyzer alone and through a rebuild, in rounds that
    alternate the order of the variants; then each query on every variant's index in turn
    (so a busy moment of the machine falls on all alike): p50/p95 of the whole search."""
    root = Path(tempfile.mkdtemp(prefix="gallery-lv-cost-"))
    app = create_app({"DATA_DIR": str(root), "SEARCH_WAIT": 0})
    got: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with app.app_context():
        db.migrate(db.get_engine())
        session = db.get_session()
        seed, lemmas = synthetic.vocabulary()
        synthetic.fill(session, captions, seed, lemmas)
        texts = synthetic.queries(session, n_queries + 20, seed, lemmas)
        all_captions = [c for (c,) in session.execute(select(Photo.caption))]
        session.rollback()
        indexes: dict[str, SearchIndex] = {}
        for n in range(rounds):
            for variant in variants if n % 2 == 0 else variants[::-1]:
                print(f"  round {n + 1}: {variant}", file=sys.stderr)
                got[variant]["analysis"].append(_analysis_rate(variant, before_rev, all_captions))
                _clear_cache(variant)
                if variant in indexes:
                    indexes[variant].close()
                indexes[variant] = index = SearchIndex(
                    root / f"index-{variant}-{n}",
                    db.session_factory(writes=False),
                    analyzer=analyzer(variant, before_rev),
                )
                started, cpu = time.perf_counter(), time.process_time()
                index.rebuild().result()
                got[variant]["rate"].append(captions / (time.perf_counter() - started))
                got[variant]["cpu_rate"].append(captions / (time.process_time() - cpu))
        for variant in variants:  # warm up as a running server is
            for text in texts[n_queries:]:
                run_search(indexes[variant], session, parse_query(text))
        for n in range(rounds):
            for i, text in enumerate(texts[:n_queries]):
                for variant in variants if (n + i) % 2 == 0 else variants[::-1]:
                    started = time.perf_counter()
                    total = run_search(indexes[variant], session, parse_query(text)).total
                    got[variant]["ms"].append((time.perf_counter() - started) * 1000)
                    got[variant]["hits"].append(total)
        session.rollback()
        for index in indexes.values():
            index.close()
    app.extensions["gallery.engine"].dispose()
    shutil.rmtree(root)
    return {
        v: {
            "analysis": statistics.median(got[v]["analysis"]),
            "rate": statistics.median(got[v]["rate"]),
            "cpu_rate": statistics.median(got[v]["cpu_rate"]),
            "p50": synthetic.percentile(got[v]["ms"], 50),
            "p95": synthetic.percentile(got[v]["ms"], 95),
            "hits": statistics.median(got[v]["hits"]),
        }
        for v in variants
    }


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--before", default=BEFORE, help="the commit of the 'before' analyzer")
    parser.add_argument("--captions", type=int, default=10_000, help="0: no cost figures")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    figures = evaluate(args.variants, args.before)
    classes = sorted({name for f in figures.values() for name in f} - {"overall"})
    print("| word class | " + " | ".join(args.variants) + " |")
    print("|---|" + "---:|" * len(args.variants))
    for name in [*classes, "overall"]:
        cells = [f"{figures[v][name][0]:.3f} / {figures[v][name][1]:.3f}" for v in args.variants]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\n(recall / precision over (query, caption) pairs)\n")
    if args.captions:
        costs = cost(args.variants, args.before, args.captions, args.queries, args.rounds)
        print(
            "| analysis | ready in | memory | analyzer alone (CPU) | indexing (wall / CPU) "
            "| query p50 / p95 (whole search) | median hits |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for v, c in costs.items():
            seconds, mb = LOAD_COSTS.get(v, (0.0, 0.0))
            print(
                f"| {v} | {seconds:.1f} s | {mb:.0f} MB | {c['analysis']:,.0f} captions/s "
                f"| {c['rate']:,.0f} / {c['cpu_rate']:,.0f} captions/s "
                f"| {c['p50']:.1f} / {c['p95']:.1f} ms | {c['hits']:,.0f} |"
            )
        print(
            f"\n({args.captions:,} synthetic captions; rates: medians of {args.rounds} rounds; "
            f"queries: {args.queries} x {args.rounds} on each index)"
        )


if __name__ == "__main__":
    main()
