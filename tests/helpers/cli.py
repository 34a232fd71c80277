"""Running a `gallery` command in-process (Flask's CLI runner) and checking how it ended."""

from __future__ import annotations

from click.testing import Result


def invoke(runner, *args, input: str | None = None, exit_code: int = 0) -> Result:
    """Run `gallery ARGS...` and assert its exit code (0 unless told otherwise); a crash
    (an exception the command did not turn into a message) never passes for a refusal."""
    result = runner.invoke(args=[str(arg) for arg in args], input=input)
    assert result.exit_code == exit_code, (args, result.exit_code, result.output)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, (args, repr(result.exception), result.output)
    return result
