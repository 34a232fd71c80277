"""Load test: staff uploading and visitors browsing at once, through `gallery serve`.

Run: `.venv/bin/python bench/load.py [--visitors 200] [--uploaders 20] [--seconds 90] ...`.
It seeds a fresh data folder (public albums of generated photos, a private album, a
secret-link album, one staff account and API token per uploader), starts the production
server on a loopback port in a process of its own, and runs an aiohttp client in this
process: `--visitors` browsing sessions at once (see loadkit/visitors.py: pages, then what
they show, then think time) and `--uploaders` staff uploading their photos one after
another (from `--uploads-after` on), some the same file at the same moment. It prints, per
class and for visitors before, while and after the uploads: requests, requests/s,
p50/p95/p99 latency (from having a connection to the last byte) and errors; the CPU that
the client, the server and the rest of the machine used; then the checks, and exits 1 if
one fails: zero errors, exactly one 201 per file and album, no lost photo, no 'database is
locked' or traceback in the server log, `gallery check` exits 0.
"""

from __future__ import annotations

import math
import os
import resource
import shutil
import tempfile
from argparse import ArgumentParser
from pathlib import Path

from loadkit.run import Load, Report, machine_busy, run
from loadkit.seed import Scale
from loadkit.stats import figures, percentile


def main() -> int:
    args = _arguments()
    _allow_many_sockets()
    scale = Scale(
        public_albums=args.albums,
        photos_per_album=args.photos,
        uploaders=args.uploaders,
        uploads_each=args.uploads,
        upload_size=(args.upload_width, args.upload_width * 2 // 3),
    )
    load = Load(
        args.visitors,
        args.seconds,
        args.think,
        args.ramp,
        args.uploads_after,
        args.max_requests,
        args.seed,
    )
    folder = Path(tempfile.mkdtemp(prefix="gallery-load-"))
    try:
        report = run(folder / "data", scale, load, env=dict(args.env))
        _print(report, load)
        if args.timeline:
            _print_timeline(report, args.timeline)
    finally:
        if args.keep:
            print(f"data kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if report.ok else 1


def _arguments():
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--visitors", type=int, default=200, help="browsing sessions at once")
    add("--uploaders", type=int, default=20, help="staff uploading at once")
    add("--uploads", type=int, default=6, help="photos each uploader sends")
    add("--upload-width", type=int, default=3000, help="px; uploads are 3:2")
    add("--albums", type=int, default=4, help="public albums seeded")
    add("--photos", type=int, default=24, help="photos per seeded album")
    add("--seconds", type=float, default=90.0, help="how long visitors browse")
    add("--think", type=float, default=2.0, help="mean seconds between a visitor's pages")
    add("--ramp", type=float, default=5.0, help="seconds over which visitors arrive")
    add("--uploads-after", type=float, default=20.0, help="seconds before uploaders start")
    add("--max-requests", type=int, default=200_000, help="visitor requests at most")
    add("--seed", type=int, default=7)
    add(
        "--env",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="environment of the server, e.g. --env GALLERY_SERVE_PROCESSES 2",
    )
    add("--keep", action="store_true", help="keep the data folder")
    add("--timeline", type=float, metavar="SECONDS", help="also print visitors per window")
    return parser.parse_args()


def _allow_many_sockets() -> None:
    """Up to six connections per visitor: raise the open-files limit as far as allowed."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _print(report: Report, load: Load) -> None:
    start, end = report.uploads_seconds
    print(
        f"load: {report.seconds:.1f} s; {load.visitors} visitors, think time {load.think} s "
        f"(mean); uploads from {start:.1f} s to {end:.1f} s"
    )
    _print_table(report)
    _print_client_and_machine(report)
    for verdict in report.verdicts:
        print(f"[{'ok' if verdict.ok else 'FAIL'}] {verdict.name}: {verdict.detail}")


def _print_table(report: Report) -> None:
    """Per class; visitors before, while and after the uploads; per kind of request."""
    recorder, seconds, (start, end) = report.recorder, report.seconds, report.uploads_seconds
    print("| class | requests | requests/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for who in ("visitors", "uploaders"):
        _row(who, figures(recorder.of(who), seconds))
    phases = (
        ("visitors before the uploads (cold start included)", 0.0, start),
        ("visitors while uploads ran", start, end),
        ("visitors after the uploads", end, seconds),
    )
    busy = []
    for label, since, until in phases:
        window = (report.began + since, report.began + until)
        _row(label, figures(recorder.of("visitors", ended=window), until - since))
        share = machine_busy(report, *window)
        busy.append("n/a" if math.isnan(share) else f"{100 * share:.0f}%")  # under a second
    for who in ("visitors", "uploaders"):
        for kind in recorder.kinds(who):
            _row(f"{who}: {kind}", figures(recorder.of(who, kind), seconds))
    print(f"machine busy before / while / after the uploads: {' / '.join(busy)} of all cores")
    views = [1000 * v for v in recorder.views]
    print(
        f"visitor page views (page + what it shows at once, connection queue included): "
        f"{len(views)}, p50 {percentile(views, 0.5):.1f} ms, p95 {percentile(views, 0.95):.1f} ms"
    )
    in_flight = sum(s.latency for s in recorder.of("visitors")) / seconds
    print(f"visitor requests in flight on average: {in_flight:.1f}")
    print(f"withdrawals (commits that dropped every kept page): {report.withdrawals}")


def _print_client_and_machine(report: Report) -> None:
    """Whether the client kept up, and who else used the machine."""
    seconds, cores = report.seconds, os.cpu_count() or 1
    lag = [1000 * lag for _when, lag in report.client_lag]
    print(
        f"client event-loop lag: p50 {percentile(lag, 0.5):.1f} ms, "
        f"p95 {percentile(lag, 0.95):.1f} ms, max {max(lag, default=0):.1f} ms"
    )
    print(
        f"client CPU: {report.client_cpu:.1f} s ({100 * report.client_cpu / seconds:.0f}% of "
        f"a core); server CPU: {report.server_cpu:.1f} s "
        f"({100 * report.server_cpu / seconds:.0f}% of a core, decode workers included)"
    )
    others = report.machine_busy * cores * seconds - report.client_cpu - report.server_cpu
    print(
        f"machine: {100 * report.machine_busy:.0f}% of {cores} cores busy; "
        f"other processes than this client and the server: {others:.1f} CPU s"
    )


def _print_timeline(report: Report, step: float) -> None:
    """Visitors window by window: where in the run the slow answers are."""
    print("| from s | requests/s | p50 ms | p95 ms | p99 ms | machine busy | client lag p95 ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    since = 0.0
    while since < report.seconds:
        window = (report.began + since, report.began + since + step)
        f = figures(report.recorder.of("visitors", ended=window), step)
        share = machine_busy(report, *window)
        lag = [1000 * lag for when, lag in report.client_lag if window[0] <= when < window[1]]
        print(
            f"| {since:.0f} | {f.per_second:.0f} | {f.p50_ms:.1f} | {f.p95_ms:.1f} "
            f"| {f.p99_ms:.1f} | {100 * share:.0f}% | {percentile(lag, 0.95):.1f} |"
        )
        since += step


def _row(label: str, f) -> None:
    print(
        f"| {label} | {f.requests} | {f.per_second:.1f} | {f.p50_ms:.1f} | {f.p95_ms:.1f} "
        f"| {f.p99_ms:.1f} | {f.errors} |"
    )


if __name__ == "__main__":
    raise SystemExit(main())
