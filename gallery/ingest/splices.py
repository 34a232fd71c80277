"""Changes to a file as splices of its bytes, and reading the file through them.

`strip` finds what to change in an original; `Edits` collects those changes (a write that
changes nothing is dropped), `spread` maps writes into a buffer made of several pieces
of the file back onto the file, and `Cleaned` reads the original through the splices,
seekable and of a known size, so the result is streamed and never stored.
"""

from __future__ import annotations

import bisect
import io
from dataclasses import dataclass
from pathlib import Path

from .scrub import Buffer, Write


class Uncleanable(Exception):
    """The file keeps metadata where this module cannot reach it safely."""


@dataclass(frozen=True)
class Splice:
    """Bytes [start, end) of the original are replaced by `data`."""

    start: int
    end: int
    data: bytes


class Edits:
    """The changes found so far; a write that changes nothing is not kept."""

    def __init__(self, original: Buffer) -> None:
        self.original = original
        self.splices: list[Splice] = []

    def write(self, at: int, data: bytes) -> None:
        if bytes(self.original[at : at + len(data)]) != data:
            self.splices.append(Splice(at, at + len(data), data))

    def replace(self, start: int, end: int, data: bytes) -> None:
        self.splices.append(Splice(start, end, data))

    def merged(self) -> tuple[Splice, ...]:
        """Sorted and apart; overlapping writes (only in hostile files) laid over in order."""
        result: list[Splice] = []
        for splice in sorted(self.splices, key=lambda s: s.start):
            last = result[-1] if result else None
            if last is None or splice.start >= last.end:
                result.append(splice)
            elif _in_place(last) and _in_place(splice):
                end = max(last.end, splice.end)
                combined = bytearray(self.original[last.start : end])
                combined[: len(last.data)] = last.data
                combined[splice.start - last.start : splice.end - last.start] = splice.data
                result[-1] = Splice(last.start, end, bytes(combined))
            else:
                raise Uncleanable("two changes of different lengths overlap")
        return tuple(result)


def _in_place(splice: Splice) -> bool:
    return len(splice.data) == splice.end - splice.start


def apply(original: bytes, splices: tuple[Splice, ...]) -> bytes:
    """The bytes with the splices made (for small blocks; files go through `Cleaned`)."""
    parts, done = [], 0
    for splice in splices:
        parts += [original[done : splice.start], splice.data]
        done = splice.end
    return b"".join([*parts, original[done:]])


def spread(pieces: list[tuple[int, int]], write: Write) -> Write:
    """A writer for a buffer made of `pieces` (file offset, size) laid end to end."""
    starts, position = [], 0
    for _begin, size in pieces:
        starts.append(position)
        position += size

    def write_spread(at: int, data: bytes) -> None:
        while data:
            index = bisect.bisect_right(starts, at) - 1
            begin, size = pieces[index]
            within = at - starts[index]
            part = data[: size - within]
            write(begin + within, part)
            at, data = at + len(part), data[len(part) :]

    return write_spread


class Cleaned(io.RawIOBase):
    """The original read through its splices: seekable, of a known size."""

    def __init__(self, path: Path, splices: tuple[Splice, ...]) -> None:
        super().__init__()
        self._file = path.open("rb")
        # output parts in order: (start in the output, bytes, or a (start, end) of the file)
        self._starts: list[int] = []
        self._parts: list[bytes | tuple[int, int]] = []
        self.size = done = 0
        for splice in splices:
            self._add((done, splice.start))
            self._add(splice.data)
            done = splice.end
        self._add((done, path.stat().st_size))
        self._position = 0

    def _add(self, part: bytes | tuple[int, int]) -> None:
        if _length(part) > 0:
            self._starts.append(self.size)
            self._parts.append(part)
            self.size += _length(part)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer) -> int:
        if self._position >= self.size:
            return 0
        index = bisect.bisect_right(self._starts, self._position) - 1
        part, within = self._parts[index], self._position - self._starts[index]
        count = min(len(buffer), _length(part) - within)
        if isinstance(part, bytes):
            buffer[:count] = part[within : within + count]
        else:
            self._file.seek(part[0] + within)
            count = self._file.readinto(memoryview(buffer)[:count]) or 0
        self._position += count
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def _length(part: bytes | tuple[int, int]) -> int:
    return len(part) if isinstance(part, bytes) else part[1] - part[0]
