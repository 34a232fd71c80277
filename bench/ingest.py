"""Ingest benchmark: 24 MP JPEGs through libvips processes and through `gallery import`.

Run: `.venv/bin/python bench/ingest.py [--count N] [--sizes S ...] [--keep] [--naive]`, or
`--startup N` for the start-up alone. Makes N (default 48: a small event) 24 MP JPEGs from
the shared corpus once (bench/out/photos-24mp/), then times on them, for 1 and 2 at a time:
(a) as many fresh libvips processes side by side making only the renditions
(bench/vips_baseline.py, start-up included), (b) `gallery import` with as many workers in a
fresh data dir, polling /proc every 50 ms for the peak RSS (VmHWM) and CPU of the import
process and its workers. Start-up is the wall time of the same on the smallest corpus photo
(median of 3); `gallery import` also reports when its first photo was decoded and its CPU
seconds when it handed that photo to a worker (marks, GALLERY_BENCH_MARKS). Then the SSIM of
the gallery's renditions against a Lanczos reference (bench/quality.py). `--naive` adds a
naive Pillow baseline in this process.
"""

from __future__ import annotations

import io
import json
import os
import resource
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

from PIL import Image, ImageOps
from quality import rendition_scores

from gallery.config import load_config
from gallery.ingest.renditions import RenditionSpec
from gallery.ingest.workers import BENCH_MARKS

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / "out" / "photos-24mp"
# `python -m gallery`, not the console script: it runs the gallery on sys.path (PYTHONPATH),
# which may be a work tree other than the installed one.
GALLERY = [sys.executable, "-m", "gallery"]
POLL = 0.05  # seconds between two looks at /proc
CORES = len(os.sched_getaffinity(0))


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


def naive_seconds(paths: Sequence[Path], sizes: Sequence[int], quality: int) -> float:
    start = time.perf_counter()
    naive(paths, sizes, quality)
    return time.perf_counter() - start


def libvips_processes(
    paths: Sequence[Path], n: int, sizes: Sequence[int], quality: int
) -> tuple[float, float]:
    """(Wall, CPU) seconds of n fresh libvips processes side by side, each making the
    renditions of every n-th photo, the cores shared out among them as among the gallery's
    workers."""
    threads = max(1, CORES // n)
    env = {**os.environ, "VIPS_CONCURRENCY": str(threads)}
    args = [sys.executable, str(BENCH / "vips_baseline.py"), str(quality), *map(str, sizes)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    procs = [
        subprocess.Popen([*args, "--", *map(str, paths[i::n])], env=env)
        for i in range(min(n, len(paths)))
    ]
    if any(proc.wait() for proc in procs):
        raise RuntimeError("a libvips baseline process failed")
    return time.monotonic() - start, children_cpu_since(before)


def children_cpu_since(before: resource.struct_rusage) -> float:
    """CPU seconds of the children waited for since `before`."""
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return sum(getattr(after, f) - getattr(before, f) for f in ("ru_utime", "ru_stime"))


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


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a live process so far (/proc/PID/stat), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watch(root: int, stop: threading.Event, peaks: dict, cpu: dict[int, float]) -> None:
    """Every 50 ms until `stop`: pid -> (depth, highest VmHWM in kB) in root's process tree,
    and pid -> CPU seconds last seen (a process's last 50 ms may be missed)."""
    while True:
        for pid, depth in process_tree(root).items():
            peaks[pid] = (depth, max(vm_hwm_kb(pid), peaks.get(pid, (0, 0))[1]))
            cpu[pid] = max(cpu_seconds(pid), cpu.get(pid, 0.0))
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
    main_cpu: float  # CPU seconds of the import process itself (not its workers)
    handover_cpu: float  # its CPU seconds when it handed its first photo to a worker
    all_cpu: float  # and of its workers' server and workers too
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
    marks = Path(data) / "bench-marks"
    env = {**env, BENCH_MARKS: str(marks)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()  # the workers' marks are on this clock
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    stop, peaks, cpu = threading.Event(), {}, {}
    watcher = threading.Thread(target=watch, args=(proc.pid, stop, peaks, cpu), daemon=True)
    watcher.start()
    out, _ = proc.communicate()
    seconds = time.monotonic() - start
    # the workers' server is not waited for by the import: this is the import process alone
    main_cpu = children_cpu_since(before)
    stop.set()
    watcher.join()
    if proc.returncode:
        raise RuntimeError(f"gallery import failed ({proc.returncode}), data dir {data}")
    noted = [line.split() for line in marks.read_text().splitlines()]
    first_decoded = min(float(clock) for what, clock, _cpu in noted if what == "decoded") - start
    handed = min((float(clock), float(cpu)) for what, clock, cpu in noted if what == "submitted")
    if keep:
        print(f"  kept {data}", file=sys.stderr)
    else:
        shutil.rmtree(data)
    imported = len(json.loads(out.splitlines()[-1])["imported"])
    worker_mb, seen = peak_mb(peaks, range(2, 99))  # main -> forkserver -> workers
    helpers = sum(seconds for pid, seconds in cpu.items() if pid != proc.pid)
    return Run(
        seconds,
        first_decoded,
        main_cpu,
        handed[1],
        main_cpu + helpers,
        imported,
        peak_mb(peaks, range(1))[0],
        worker_mb,
        seen,
    )


@dataclass(frozen=True)
class Side:
    """n workers (or n libvips processes): the photos' wall time and the start-up's."""

    seconds: float
    startup: float  # wall time of the same on the tiny photo (median of 3)
    cpu: float  # CPU seconds of every process on the photos

    @property
    def steady(self) -> float:
        return self.seconds - self.startup


def measure(args: Namespace, photos: list[Path], tiny: Path, quality: int) -> dict:
    """n -> (libvips processes' Side, gallery's Side, gallery's Run, median start-up to the
    first photo decoded, median CPU seconds of the import process when it handed the tiny
    photo to a worker)."""
    env = {**os.environ, "GALLERY_RENDITION_SIZES": " ".join(map(str, args.sizes))}
    env.update(GALLERY_DATABASE_URL="", GALLERY_UPLOADS_DIR="", GALLERY_INDEX_DIR="")
    results = {}
    for n in (1, 2):
        print(f"{n} at a time: libvips processes, then gallery import...", file=sys.stderr)
        vips_tiny = [libvips_processes([tiny], n, args.sizes, quality)[0] for _ in range(3)]
        wall, cpu = libvips_processes(photos, n, args.sizes, quality)
        vips = Side(wall, statistics.median(vips_tiny), cpu)
        tiny_runs = [gallery_import([tiny], n, env, args.keep) for _ in range(3)]
        run = gallery_import(photos, n, env, args.keep)
        if run.imported != len(photos) or run.workers_seen != n:
            print(f"  WARNING: {run.imported} imported, {run.workers_seen} workers seen")
        ours = Side(run.seconds, statistics.median(r.seconds for r in tiny_runs), run.all_cpu)
        first = statistics.median(r.first_decoded for r in tiny_runs)
        cpu = statistics.median(r.handover_cpu for r in tiny_runs)
        results[n] = (vips, ours, run, first, cpu)
    return results


def quality_scores(photos: list[Path], sizes: Sequence[int], quality: int) -> dict[str, list]:
    """Rendition name -> [(SSIM vs the JPEG-saved reference, vs the raw one)] over the photos."""
    scores: dict[str, list] = {}
    for path in photos:
        for name, pair in rendition_scores(path, RenditionSpec(tuple(sizes), quality)).items():
            scores.setdefault(name, []).append(pair)
    return scores


def report(count: int, results: dict, scores: dict[str, list], naive_s: float | None) -> None:
    """The Markdown table, the SSIM and the targets (time ratios: at or under is met)."""
    print("| measurement | photos/s | seconds | start-up s | peak RSS MB | time / libvips |")
    print("|---|---:|---:|---:|---|---:|")
    for n, (vips, ours, run, first, cpu) in results.items():
        what = f"{n} at a time"
        print(
            f"| libvips, {n} process(es) | {count / vips.seconds:.2f} | {vips.seconds:.2f} "
            f"| {vips.startup:.2f} | | 1.00 |"
        )
        rss = f"worker {run.worker_mb:.0f}, main {run.main_mb:.0f}"
        print(
            f"| gallery import, {n} worker(s) | {count / ours.seconds:.2f} | {ours.seconds:.2f} "
            f"| {ours.startup:.2f} | {rss} | {ours.seconds / vips.seconds:.2f} |"
        )
        print(
            f"| {what}, steady state (wall - start-up) | {count / ours.steady:.2f} "
            f"| {ours.steady:.2f} vs {vips.steady:.2f} | | | {ours.steady / vips.steady:.2f} |"
        )
        print(
            f"| gallery import, {n} worker(s): first photo decoded (tiny photo; import "
            f"process CPU s at the hand-over) | | {first:.3f} ({cpu:.3f}) | | | |"
        )
        print(
            f"| CPU s of every process on the photos: gallery {ours.cpu:.2f}, libvips "
            f"{vips.cpu:.2f} | | | | | {ours.cpu / vips.cpu:.2f} |"
        )
    if naive_s:
        one = results[1][1].seconds
        print(
            f"| naive Pillow, in this process | {count / naive_s:.2f} | {naive_s:.2f} "
            f"| | | {naive_s / results[1][0].seconds:.2f} (1 worker: {one / naive_s:.2f} of it) |"
        )
    print("\nSSIM of the renditions against Lanczos (JPEG-saved reference; raw reference):")
    for name, pairs in scores.items():
        saved, raw = min(p[0] for p in pairs), min(p[1] for p in pairs)
        print(f"- {name}: min {saved:.4f} ({raw:.4f}) over {len(pairs)} photos")
    (vips1, ours1, _run1, first1, _cpu1), (vips2, ours2, *_rest) = results[1], results[2]
    worker_mb = max(result[2].worker_mb for result in results.values())
    lowest = min(p[0] for pairs in scores.values() for p in pairs)
    targets = [
        ("start-up to the first photo decoded <= 0.3 s", first1, 0.3),
        ("1 worker / 1 libvips process <= 1.0", ours1.seconds / vips1.seconds, 1.0),
        ("1 worker / 1 libvips process, steady state <= 0.85", ours1.steady / vips1.steady, 0.85),
        ("2 workers / 2 libvips processes <= 1.0", ours2.seconds / vips2.seconds, 1.0),
        ("peak worker RSS MB < 200", worker_mb, 200),
    ]
    print("\nTargets:")
    for text, value, goal in targets:
        print(f"- `{text}`: {value:.2f} {'PASS' if value <= goal else 'FAIL'}")
    print(f"- `SSIM >= 0.99`: {lowest:.4f} {'PASS' if lowest >= 0.99 else 'FAIL'}")


def startup_only(times: int, tiny: Path) -> None:
    """Medians of `times` one-worker imports of the tiny photo, one JSON line (run it with
    PYTHONPATH at two trees in turn to compare them under the same load)."""
    env = {
        **os.environ,
        "GALLERY_DATABASE_URL": "",
        "GALLERY_UPLOADS_DIR": "",
        "GALLERY_INDEX_DIR": "",
    }
    runs = [gallery_import([tiny], 1, env, keep=False) for _ in range(times)]
    medians = {
        "first_decoded": statistics.median(r.first_decoded for r in runs),
        "wall": statistics.median(r.seconds for r in runs),
        "import_process_cpu": statistics.median(r.main_cpu for r in runs),
        "cpu_at_first_handover": statistics.median(r.handover_cpu for r in runs),
        "load": os.getloadavg()[0],
    }
    print(json.dumps({name: round(value, 3) for name, value in medians.items()}))


def parse_args(config: dict) -> Namespace:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=48, help="number of 24 MP photos")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(config["RENDITION_SIZES"]))
    parser.add_argument("--keep", action="store_true", help="keep the temp data dirs")
    parser.add_argument("--naive", action="store_true", help="add the naive Pillow baseline")
    parser.add_argument("--ssim-photos", type=int, default=4, help="photos to score (SSIM)")
    parser.add_argument(
        "--startup", type=int, metavar="N", help="only the start-up: N one-worker tiny imports"
    )
    return parser.parse_args()


def main() -> None:
    config = load_config()
    args = parse_args(config)
    quality = config["RENDITION_QUALITY"]
    sources = sorted((Path(config["CORPUS"]) / "photos" / "jpg").glob("*.jpg"))
    if not sources:
        raise SystemExit(f"no photos/jpg/*.jpg in the corpus {config['CORPUS']}")
    tiny = min(sources, key=lambda path: path.stat().st_size)
    if args.startup:
        return startup_only(args.startup, tiny)
    photos = make_photos(args.count, sources)
    load = os.getloadavg()
    results = measure(args, photos, tiny, quality)
    naive_s = naive_seconds(photos, args.sizes, quality) if args.naive else None
    scores = quality_scores(photos[: args.ssim_photos], args.sizes, quality)
    mb = sum(path.stat().st_size for path in photos) / len(photos) / 1e6
    print(f"{len(photos)} photos of 24 MP, {mb:.1f} MB each on average; sizes {args.sizes}")
    before, after = (" ".join(f"{x:.2f}" for x in avg) for avg in (load, os.getloadavg()))
    print(f"JPEG Q{quality}; {CORES} CPUs; load average before {before}, after {after}")
    print(f"start-up = median of 3 runs on {tiny.name} ({tiny.stat().st_size} bytes)\n")
    report(len(photos), results, scores, naive_s)


if __name__ == "__main__":
    main()
