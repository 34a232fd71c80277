"""Culling benchmark: stacks and near-duplicates against known truth, and what culling adds
to ingest, in one run.

Run: `.venv/bin/python bench/culling.py [--moments 120] [--seed 2] [--big 8]`.

1. Makes the event of bench/culling_set.py (bursts, singles, look-alikes, re-exports into
   a "press" album and beside their originals), once per seed, in bench/out/culling-SEED/.
2. Imports it with the real `gallery import` into a fresh data directory (one worker, as
   a small server does) and reads the answers the way scripts do: `gallery photos`,
   `gallery stacks --json`, `gallery near-duplicates --json`.
3. Stacks: precision and recall over pairs of photos (two photos of one burst are a true
   pair; a pair in one stack that is not, a false one). Near-duplicates: precision and
   recall over the (re-export, original) pairs; then, in this process, the same check over
   every pair within 24 hash bits, to draw precision against recall as the pixel
   threshold moves. The best of each stack: how often the suggested top is the frame a
   person would keep (no blur, exposure within 0.3 stop of it), or as good as it.
4. Ingest cost: for the set's photos and for `--big` 24 MP JPEGs made as bench/ingest.py
   makes them: the worker's render (decode and rendition ladder) timed in this process,
   culling's measures on the smallest rendition timed alone, and the import's wall time
   per photo; then what placing a photo (stacking it, looking for its near-duplicates)
   costs, timed on the imported photos in transactions rolled back.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from argparse import ArgumentParser
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from culling_set import make_event  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
GALLERY = Path(sys.executable).parent / "gallery"
KEEPER_EV = 0.3  # a frame within this many stops of the keeper, unblurred, is as good


def gallery(data: Path, *args: str) -> str:
    command = [str(GALLERY), "--data", str(data), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def the_set(seed: int, moments: int) -> tuple[Path, list[dict]]:
    folder = OUT / f"culling-{seed}-{moments}"
    if not (folder / "truth.json").exists():
        print(f"making the set in {folder}", file=sys.stderr)
        make_event(moments=moments, seed=seed).write(folder)
    return folder, json.loads((folder / "truth.json").read_text())


def import_set(data: Path, folder: Path) -> tuple[float, int]:
    """Import the event, then the press album; (wall seconds, photos)."""
    gallery(data, "init")
    started = time.perf_counter()
    count = 0
    for album in ("event", "press"):
        files = sorted(str(p) for p in (folder / album).glob("*.jpg"))
        report = json.loads(
            gallery(data, "import", "--album", album, "--workers", "1", "--json", *files)
        )
        count += len(report["imported"])
    return time.perf_counter() - started, count


def pair_scores(predicted: set[frozenset], truth: set[frozenset]) -> tuple[float, float]:
    hit = len(predicted & truth)
    return hit / max(1, len(predicted)), hit / max(1, len(truth))


def evaluate(data: Path, truth: list[dict]) -> dict:
    ids: dict[str, int] = {}
    photos: dict[int, dict] = {}
    for album in ("event", "press"):
        for photo in lines(gallery(data, "photos", "--album", album, "--json")):
            ids[f"{album}/{photo['filename']}"] = photo["id"]
            photos[photo["id"]] = photo
    shots = {ids[f"{s['album']}/{s['name']}"]: s for s in truth}
    bursts: dict[str, set[int]] = defaultdict(set)
    for photo_id, shot in shots.items():
        if shot["burst"]:
            bursts[shot["burst"]].add(photo_id)
    true_pairs = {frozenset(p) for b in bursts.values() for p in itertools.combinations(b, 2)}
    stacks = lines(gallery(data, "stacks", "--album", "event", "--json"))
    stacked = {frozenset(p) for s in stacks for p in itertools.combinations(s["photos"], 2)}
    stack_p, stack_r = pair_scores(stacked, true_pairs)
    good_tops = sum(_as_good_as_the_keeper(shots, s) for s in stacks)
    dups = {
        frozenset((ids[f"{s['album']}/{s['name']}"], ids[s["original"]]))
        for s in truth
        if s["original"]
    }
    found = lines(gallery(data, "near-duplicates", "--json"))
    found_pairs = {frozenset((f["photo_id"], f["duplicate_of"])) for f in found}
    dup_p, dup_r = pair_scores(found_pairs, dups)
    wrong_way = sum(f["duplicate_of"] > f["photo_id"] for f in found)
    return {
        "photos": len(photos),
        "bursts": len(bursts),
        "stacks": len(stacks),
        "stack_precision": stack_p,
        "stack_recall": stack_r,
        "tops_as_good_as_keeper": good_tops / max(1, len(stacks)),
        "reexports": len(dups),
        "near_duplicates_found": len(found),
        "near_duplicate_precision": dup_p,
        "near_duplicate_recall": dup_r,
        "pairs_named_the_wrong_way": wrong_way,
        "_ids": ids,
        "_dups": dups,
        "_shots": shots,
    }


def _as_good_as_the_keeper(shots: dict[int, dict], stack: dict) -> bool:
    top = shots[stack["top"]]
    return top["sharpest"] or (top["blur"] == 0 and abs(top["ev"]) <= KEEPER_EV)


def threshold_sweep(data: Path, result: dict) -> list[tuple[float, float, float]]:
    """Precision and recall of near-duplicates over every pair within 24 bits, as the
    pixel threshold moves (what the shipped SAME trades)."""
    from gallery import create_app
    from gallery.core import db
    from gallery.core.models import Photo
    from gallery.culling import alike, near_duplicates, upkeep
    from gallery.ingest.analysis import distance

    app = create_app({"DATA_DIR": str(data)})
    measured = []
    with app.app_context():
        session = db.get_session()
        storage = app.extensions["gallery.storage"]
        photos = session.query(Photo).all()
        pictures = {p.id: upkeep.prepared_rendition(storage, p) for p in photos}
        for a, b in itertools.combinations(photos, 2):
            if a.phash is None or b.phash is None or distance(a.phash, b.phash) > 24:
                continue
            if near_duplicates._taken_apart(a, b):
                continue
            difference = min(
                alike.difference(pictures[a.id], pictures[b.id]),
                alike.difference(pictures[b.id], pictures[a.id]),
            )
            near = distance(a.phash, b.phash) <= near_duplicates.CANDIDATE_RADIUS
            measured.append((frozenset((a.id, b.id)), difference if near else 99.0))
    curve = []
    for threshold in (0.5, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.4, 1.7, 2.0):
        chosen = {pair for pair, diff in measured if diff <= threshold}
        p, r = pair_scores(chosen, result["_dups"])
        curve.append((threshold, p, r))
    return curve


def ingest_cost(paths: list[Path]) -> dict:
    """Per photo, in this process: the worker's render (the ladder and, inside it,
    culling's measures) and the measures alone on the smallest rendition in memory."""
    import pyvips
    from PIL import Image

    from gallery.ingest.analysis import measure
    from gallery.ingest.decode import Limits, inspect
    from gallery.ingest.renditions import RenditionSpec, render

    pyvips.cache_set_max(0)
    spec, limits = RenditionSpec(), Limits(100_000_000, 500)
    renders, measures = [], []
    for path in paths:
        header = inspect(path, "JPEG", limits)
        started = time.perf_counter()
        rendered = render(path, header, spec)
        renders.append(time.perf_counter() - started)
        smallest = Image.open(__import__("io").BytesIO(rendered.renditions[-1].data))
        smallest.load()
        started = time.perf_counter()
        for _again in range(5):
            measure(smallest)
        measures.append((time.perf_counter() - started) / 5)
    render_ms = statistics.median(renders) * 1000
    measure_ms = statistics.median(measures) * 1000
    return {
        "render_ms": render_ms,
        "measure_ms": measure_ms,
        "measure_share": measure_ms / (render_ms - measure_ms),
    }


def placing_cost(data: Path) -> dict:
    """Stacking a photo and looking for its near-duplicates, per photo, rolled back."""
    from gallery import create_app
    from gallery.core import db
    from gallery.core.models import Photo
    from gallery.culling import near_duplicates, stacks, upkeep

    app = create_app({"DATA_DIR": str(data)})
    timings = []
    with app.app_context():
        storage = app.extensions["gallery.storage"]
        sessions = db.session_factory()
        with sessions() as session:
            ids = [p.id for p in session.query(Photo).order_by(Photo.id)]
        for photo_id in ids:
            with sessions() as session:
                photo = session.get(Photo, photo_id)
                photo.stack_id = None
                session.flush()
                started = time.perf_counter()
                stacks.place(session, photo)
                read = functools.partial(upkeep.prepared_rendition, storage)
                near_duplicates.find(session, photo, read)
                timings.append(time.perf_counter() - started)
                session.rollback()
    return {
        "place_ms": statistics.median(timings) * 1000,
        "place_mean_ms": statistics.mean(timings) * 1000,
    }


def big_photos(count: int) -> list[Path]:
    """24 MP camera-like JPEGs as bench/ingest.py makes them (made once, shared with it)."""
    from ingest import make_photos

    from gallery.config import load_config

    sources = sorted((Path(load_config()["CORPUS"]) / "photos" / "jpg").glob("*.jpg"))
    return make_photos(count, [s for s in sources if "corrupted" not in s.name])


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moments", type=int, default=120)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--big", type=int, default=8, help="24 MP photos for the cost (0: none)")
    parser.add_argument("--sweep", action="store_true", help="also the threshold curve")
    args = parser.parse_args()
    folder, truth = the_set(args.seed, args.moments)
    with tempfile.TemporaryDirectory(prefix="bench-culling-") as tmp:
        data = Path(tmp) / "data"
        wall, count = import_set(data, folder)
        result = evaluate(data, truth)
        curve = threshold_sweep(data, result) if args.sweep else []
        placing = placing_cost(data)
        big_wall = big_count = 0
        big: list[Path] = big_photos(args.big) if args.big else []
        if big:
            big_data = Path(tmp) / "big"
            gallery(big_data, "init")
            started = time.perf_counter()
            gallery(big_data, "import", "--album", "big", "--workers", "1", *map(str, big))
            big_wall, big_count = time.perf_counter() - started, len(big)
    set_photos = sorted((folder / "event").glob("*.jpg"))[:40]
    cost_set = ingest_cost(set_photos)
    cost_big = ingest_cost(big) if big else None
    report(args, result, curve, wall, count, placing, cost_set, cost_big, big_wall, big_count)


def report(args, result, curve, wall, count, placing, cost_set, cost_big, big_wall, big_count):
    print(
        f"set: seed {args.seed}, {args.moments} moments: {result['photos']} photos, "
        f"{result['bursts']} bursts, {result['reexports']} re-exports"
    )
    print(
        f"stacks: {result['stacks']} found; precision {result['stack_precision']:.3f}, "
        f"recall {result['stack_recall']:.3f} (pairs; targets 0.95 / 0.9)"
    )
    print(
        f"best of stack: the suggested top is as good as the keeper in "
        f"{result['tops_as_good_as_keeper']:.0%} of stacks"
    )
    print(
        f"near-duplicates: {result['near_duplicates_found']} found; precision "
        f"{result['near_duplicate_precision']:.3f} at recall {result['near_duplicate_recall']:.3f} "
        f"(target 0.98 at 0.9); named the wrong way round: {result['pairs_named_the_wrong_way']}"
    )
    for threshold, p, r in curve:
        print(f"  pixel threshold {threshold:.1f}: precision {p:.3f}, recall {r:.3f}")
    per_photo = wall / count * 1000
    print(
        f"import: {count} photos of 1600x1067 in {wall:.1f} s, {per_photo:.0f} ms a photo "
        f"(one worker, start-up included)"
    )
    print(
        f"placing a photo (stack, near-duplicates): median {placing['place_ms']:.1f} ms, "
        f"mean {placing['place_mean_ms']:.1f} ms"
    )
    rows = [("1600x1067 set", cost_set, per_photo)]
    if cost_big:
        rows.append(("24 MP photos", cost_big, big_wall / big_count * 1000))
    for name, cost, import_ms in rows:
        added = cost["measure_ms"] + placing["place_ms"]
        print(
            f"{name}: render {cost['render_ms']:.1f} ms, measures {cost['measure_ms']:.2f} ms "
            f"({cost['measure_share']:.1%} of the render); import {import_ms:.0f} ms a photo; "
            f"measures and placing {added:.1f} ms = {added / (import_ms - added):.1%} of the rest"
        )


if __name__ == "__main__":
    os.environ.setdefault("GALLERY_LANGUAGE", "en")
    main()
