"""Ingest benchmark: 24 MP JPEGs through two baselines and through `gallery import`.

Run: `.venv/bin/python bench/ingest.py [--count N] [--sizes S ...] [--keep] [--skip-naive]`.
Makes N (default 48: a small event) 24 MP JPEGs from the shared corpus once
(bench/out/photos-24mp/), then times on them (a) a naive Pillow and (b) a libvips
renditions-only baseline in this process (peak RSS from a fresh child), (c) `gallery import`
with 1 and 2 workers in fresh data dirs, polling /proc every 50 ms for the peak RSS (VmHWM)
of the import process and its workers.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from argparse import ArgumentParser, Namespace
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyvips
from PIL import Image, ImageOps

from gallery.config import load_config
from gallery.ingest.workers import DECODED_MARKS

CACHE = Path(__file__).resolve().parent / "out" / "photos-24mp"
# `python -m gallery`, not the console script: it runs the gallery on sys.path (PYTHONPATH),
# which may be a work tree other than the installed one.
GALLERY = [sys.executable, "-m", "gallery"]
POLL = 0.05  # seconds between two looks at /proc
Timing = tuple[float, float]  # (seconds, peak RSS in MB)


def upscale(source: Path, dest: Path, n: int) -> None:
    """A 6000x4000 (or 4000x6000) noisy JPEG at quality 92 with the source's EXIF.

    A block in a corner carries `n`: Pillow's noise repeats from one process to the next,
    and two photos with the same bytes would be imported once.
    """
    with Image.open(source) as im:
        exif = im.info.get("exif") or b""
        size = (4000, 6000) if im.height > im.width else (6000, 4000)
        big = im.convert("RGB").resize(size, Image.Resampling.BICUBIC)
    noise = Image.merge("RGB", [Image.effect_noise(size, 40) for _band in "RGB"])
    photo = Image.blend(big, noise, 0.18)
    photo.paste((n % 256, n // 256 % 256, 128), (0, 0, 16, 16))
    temp = dest.with_suffix(".tmp")
    photo.save(temp, "JPEG", quality=92, exif=exif)
    temp.replace(dest)


def make_photos(count: int, sources: list[Path]) -> list[Path]:
    """`count` distinct 24 MP photos, cycling through the sources; made once, then reused."""
    CACHE.mkdir(parents=True, exist_ok=True)
    photos = []
    for i in range(count):
        source = sources[i % len(sources)]
        dest = CACHE / f"{i:03d}-{source.stem}.jpg"
        if not dest.exists():
            print(f"making {dest.name}", file=sys.stderr)
            upscale(source, dest, i)
        photos.append(dest)
    return photos


def naive(paths: Sequence[Path], sizes: Sequence[int], quality: int) -> None:
    """Pillow, naively: full decode, transpose, then copy + thumbnail from it for each size."""
    for path in paths:
        with Image.open(path) as im:
            full = ImageOps.exif_transpose(im)
        for size in sorted(sizes, reverse=True):
            small = full.copy()
            small.thumbnail((size, size), Image.Resampling.LANCZOS)
            small.save(io.BytesIO(), "JPEG", quality=quality)


def libvips(paths: Sequence[Path], sizes: Sequence[int], quality: int) -> None:
    """Renditions only: one shrink-on-load thumbnail at the largest size, then a cascade."""
    steps = sorted(sizes, reverse=True)
    for path in paths:
        image = pyvips.Image.thumbnail(str(path), steps[0], height=steps[0]).copy_memory()
        for size in steps:
            if size < max(image.width, image.height):
                image = image.thumbnail_image(size, height=size).copy_memory()
            image.jpegsave_buffer(Q=quality)


def timed(name: str, paths: Sequence[Path], sizes: Sequence[int], quality: int) -> Timing:
    """(Seconds one baseline takes on all the photos in turn, this process's VmHWM in MB)."""
    start = time.perf_counter()
    {"naive": naive, "libvips": libvips}[name](paths, sizes, quality)
    return time.perf_counter() - start, vm_hwm_kb(os.getpid()) / 1024


def in_child(name: str, paths: Sequence[Path], sizes: Sequence[int], quality: int) -> Timing:
    """`timed` in a fresh interpreter, for its own peak RSS (wait4's ru_maxrss would not do:
    Linux carries this process's peak over into a child, through fork and exec)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(timed, (name, paths, sizes, quality))


def process_tree(root: int) -> dict[int, int]:
    """pid -> depth below `root` (0: root) of its live descendants, from /proc children files."""
    found, todo = {}, [(root, 0)]
    while todo:
        pid, depth = todo.pop()
        found[pid] = depth
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                todo += [(int(kid), depth + 1) for kid in children.read_text().split()]
            except OSError:
                continue  # the thread or process is gone
    return found


def vm_hwm_kb(pid: int) -> int:
    """The peak resident set size of a live process (VmHWM), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("VmHWM")), 0)
    except OSError:
        return 0


def watch(root: int, stop: threading.Event, peaks: dict[int, tuple[int, int]]) -> None:
    """Every 50 ms until `stop`: pid -> (depth, highest VmHWM in kB) in root's process tree."""
    while True:
        for pid, depth in process_tree(root).items():
            peaks[pid] = (depth, max(vm_hwm_kb(pid), peaks.get(pid, (0, 0))[1]))
        if stop.wait(POLL):
            return


def peak_mb(peaks: dict[int, tuple[int, int]], depths: range) -> tuple[float, int]:
    """(max VmHWM in MB, number of processes) over the processes at these depths."""
    found = [hwm for depth, hwm in peaks.values() if depth in depths]
    return max(found, default=0) / 1024, len(found)


@dataclass(frozen=True)
class Run:
    seconds: float
    first_decoded: float  # seconds from the start of `gallery import` to its first photo decoded
    imported: int
    main_mb: float  # the `gallery import` process
    worker_mb: float  # the largest pool worker
    workers_seen: int


def gallery_import(files: Sequence[Path], workers: int, env: dict[str, str], keep: bool) -> Run:
    """`gallery init` in a fresh data dir, then a timed, watched `gallery import`."""
    data = tempfile.mkdtemp(prefix=f"bench-ingest-{workers}w-")
    base = [*GALLERY, "--data", data]
    subprocess.run([*base, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    cmd = [*base, "import", "--album", "bench", "--workers", str(workers), "--json", *files]
    marks = Path(data) / "decoded-marks"
    env = {**env, DECODED_MARKS: str(marks)}
    start = time.monotonic()  # the workers' marks are on this clock
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    stop, peaks = threading.Event(), {}
    watcher = threading.Thread(target=watch, args=(proc.pid, stop, peaks), daemon=True)
    watcher.start()
    out, _ = proc.communicate()
    seconds = time.monotonic() - start
    stop.set()
    watcher.join()
    if proc.returncode:
        raise RuntimeError(f"gallery import failed ({proc.returncode}), data dir {data}")
    first_decoded = min(float(line) for line in marks.read_text().split()) - start
    if keep:
        print(f"  kept {data}", file=sys.stderr)
    else:
        shutil.rmtree(data)
    imported = len(json.loads(out.splitlines()[-1])["imported"])
    worker_mb, seen = peak_mb(peaks, range(2, 99))  # main -> forkserver -> workers
    return Run(seconds, first_decoded, imported, peak_mb(peaks, range(1))[0], worker_mb, seen)


def measure_gallery(args: Namespace, photos: list[Path], tiny: Path) -> tuple[dict, dict]:
    """({workers: Run} for the photos, {workers: median seconds of 3 tiny-file imports})."""
    env = {**os.environ, "GALLERY_RENDITION_SIZES": " ".join(map(str, args.sizes))}
    env.update(GALLERY_DATABASE_URL="", GALLERY_UPLOADS_DIR="", GALLERY_INDEX_DIR="")
    runs, startup = {}, {}
    for n in (1, 2):
        print(f"gallery import, {n} worker(s)...", file=sys.stderr)
        tiny_runs = [gallery_import([tiny], n, env, args.keep).seconds for _ in range(3)]
        startup[n] = statistics.median(tiny_runs)
        runs[n] = run = gallery_import(photos, n, env, args.keep)
        if run.imported != len(photos) or run.workers_seen != n:
            print(f"  WARNING: {run.imported} imported, {run.workers_seen} workers seen")
    return runs, startup


def measure_baselines(args: Namespace, photos: list[Path], quality: int) -> dict[str, Timing]:
    """name -> (seconds in this process, peak RSS MB of a fresh child doing the same)."""
    results = {}
    for name in ("libvips",) if args.skip_naive else ("naive", "libvips"):
        print(f"baseline {name}...", file=sys.stderr)
        seconds = timed(name, photos, args.sizes, quality)[0]
        child_s, rss = in_child(name, photos, args.sizes, quality)
        print(f"  {seconds:.2f} s here, {child_s:.2f} s in a fresh child", file=sys.stderr)
        results[name] = (seconds, rss)
    return results


def report(
    count: int, base: dict[str, Timing], runs: dict[int, Run], startup: dict[int, float]
) -> None:
    """The Markdown table and the targets (ratios on raw wall time)."""
    naive_s, vips_s = base.get("naive", (0, 0))[0], base["libvips"][0]

    def row(name: str, seconds: float, rss: str) -> str:
        if seconds <= 0:
            return f"| {name} | - | {seconds:.2f} | {rss} | - | - |"
        vs_naive = f"{naive_s / seconds:.2f}" if naive_s else "-"
        cells = [name, f"{count / seconds:.2f}", f"{seconds:.2f}", rss, vs_naive]
        return "| " + " | ".join([*cells, f"{vips_s / seconds:.2f}"]) + " |"

    print("| measurement | photos/s | seconds | peak RSS MB | vs naive | vs libvips |")
    print("|---|---:|---:|---|---:|---:|")
    for name, (seconds, rss) in base.items():
        print(row(f"{name} baseline (in-process)", seconds, f"{rss:.0f} (child)"))
    for n, run in runs.items():
        rss = f"worker {run.worker_mb:.0f}, main {run.main_mb:.0f}"
        print(row(f"gallery import, {n} worker(s)", run.seconds, rss))
        steady = f"{n} worker(s), steady state (wall - {startup[n]:.2f} s start-up)"
        print(row(steady, run.seconds - startup[n], ""))
    one, two = runs[1].seconds, runs[2].seconds
    worker_mb = max(run.worker_mb for run in runs.values())
    print("\nTargets (ratios on raw wall time, start-up included):")
    targets = [("1 worker / naive >= 5", naive_s / one, 5.0)] if naive_s else []
    targets += [("1 worker / libvips >= 1.0", vips_s / one, 1.0)]
    targets += [("2 workers / 1 worker >= 1.8", one / two, 1.8)]
    for text, value, goal in targets:
        print(f"- `{text}`: {value:.2f} {'PASS' if value >= goal else 'FAIL'}")
    print(f"- `peak worker RSS < 200 MB`: {worker_mb:.0f} {'PASS' if worker_mb < 200 else 'FAIL'}")


def parse_args(config: dict) -> Namespace:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=48, help="number of 24 MP photos")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(config["RENDITION_SIZES"]))
    parser.add_argument("--keep", action="store_true", help="keep the temp data dirs")
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow baseline")
    return parser.parse_args()


def main() -> None:
    config = load_config()
    args = parse_args(config)
    quality = config["RENDITION_QUALITY"]
    sources = sorted((Path(config["CORPUS"]) / "photos" / "jpg").glob("*.jpg"))
    if not sources:
        raise SystemExit(f"no photos/jpg/*.jpg in the corpus {config['CORPUS']}")
    photos = make_photos(args.count, sources)
    load = os.getloadavg()
    base = measure_baselines(args, photos, quality)
    tiny = min(sources, key=lambda path: path.stat().st_size)
    runs, startup = measure_gallery(args, photos, tiny)
    mb = sum(path.stat().st_size for path in photos) / len(photos) / 1e6
    print(f"{len(photos)} photos of 24 MP, {mb:.1f} MB each on average; sizes {args.sizes}")
    before, after = (" ".join(f"{x:.2f}" for x in avg) for avg in (load, os.getloadavg()))
    print(f"JPEG Q{quality}; {os.cpu_count()} CPUs; load average before {before}, after {after}")
    print(f"start-up = median of 3 imports of {tiny.name} ({tiny.stat().st_size} bytes)\n")
    report(len(photos), base, runs, startup)


if __name__ == "__main__":
    main()
