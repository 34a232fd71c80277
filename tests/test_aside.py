"""Work run aside, in a forked child process (gallery/ops/aside.py)."""

from __future__ import annotations

import os

import pytest

from gallery.ops.aside import Aside


def _fail() -> None:
    raise ValueError("bad row")


def test_work_runs_in_another_process_and_its_result_comes_back():
    with Aside(os.getpid) as aside:
        assert aside.result() != os.getpid()


def test_what_the_work_raises_is_raised_in_the_parent():
    with Aside(_fail) as aside, pytest.raises(ValueError, match="bad row"):
        aside.result()


def test_a_child_that_dies_is_an_error_not_a_hang():
    with Aside(lambda: os._exit(3)) as aside, pytest.raises(RuntimeError, match="exit code 3"):
        aside.result()
