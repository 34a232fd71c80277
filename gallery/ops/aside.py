"""Work on the other core: a function run in a forked copy of this process, its result sent
back through a pipe. Forked, not spawned: the copy starts with the objects the work needs
as they are (sessions, the search index), and only the result is pickled. Where there is
no fork (Windows), the work runs in this process when its result is asked for.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

T = TypeVar("T")


class Aside(Generic[T]):
    """`work()` started now in a child process; `result()` waits for what it returned."""

    def __init__(self, work: Callable[[], T]) -> None:
        self.work = work
        self.child = None
        if "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self.reader, writer = context.Pipe(duplex=False)
            self.child = context.Process(target=_run, args=(work, writer), daemon=True)
            self.child.start()
            writer.close()  # the child's end: EOF here once the child is gone

    def __enter__(self) -> Aside[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop the child if its result was not waited for (the caller failed meanwhile)."""
        if self.child is not None and self.child.is_alive():
            self.child.terminate()
            self.child.join()

    def result(self) -> T:
        """What the work returned; what it raised is raised here."""
        if self.child is None:
            return self.work()
        try:
            done, value = self.reader.recv()
        except EOFError:
            self.child.join()
            raise RuntimeError(f"work aside died (exit code {self.child.exitcode})") from None
        finally:
            self.reader.close()
        self.child.join()
        if not done:
            raise value
        return value


def _run(work: Callable[[], object], writer: Connection) -> None:
    try:
        outcome = (True, work())
    except Exception as exc:  # sent to the parent, which raises it in its own flow
        outcome = (False, exc)
    try:
        writer.send(outcome)
    except Exception:  # a result or an exception that does not pickle: its words do
        writer.send((False, RuntimeError(repr(outcome[1]))))
    writer.close()
