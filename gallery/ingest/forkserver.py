"""The decode workers' server process, apart from `workers` so that starting it costs the
command's own process no decoder imports: `gallery import` starts it first thing, and its
imports run on another core while the command loads (gallery/__main__.py).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os

WORKERS = "gallery.ingest.workers"  # what the server imports once, for every worker


def worker_context() -> multiprocessing.context.BaseContext:
    """forkserver: workers start from a clean process, not a copy of a threaded app.

    The server process imports the decoders once; each worker forks from it ready to go
    and re-runs the parent's main module, which is why gallery/__main__.py is light and
    the package imports Flask only when an app is built. Two malloc arenas per process
    keep libvips's threads from each reserving their own, which costs peak memory and
    nothing measurable in speed.
    """
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([WORKERS])
    return context


def start() -> None:
    """Start the workers' server now, so its imports overlap the command's own start-up."""
    worker_context()
    multiprocessing.forkserver.ensure_running()
