"""The one way ingest refuses a file: a code, an HTTP status and plain words."""

from __future__ import annotations

from typing import Any

from gallery.core.errors import Refusal, is_disk_full
from gallery.core.messages import N_, Message

__all__ = ["DISK_FULL", "STATUS", "Rejected", "disk_full", "is_disk_full"]

# code -> HTTP status, as DESIGN.md lists them
STATUS = {
    "empty": 400,
    "too_large": 413,
    "unsupported_format": 415,
    "too_many_pixels": 413,
    "too_many_frames": 422,
    "corrupt": 422,
    "decoder_failed": 422,
    "disk_full": 507,  # not the file's fault: the server had no room to keep it
}

DISK_FULL = N_(
    "the server's disk is full, so the photo was not stored; nothing of it was kept. "
    "Tell the gallery's administrator, and send it again once there is room"
)


class Rejected(Refusal):
    """A file the gallery did not take in, with a message a staff member understands.

    Mostly a refusal of the file itself; `disk_full` says the server had no room for it.
    """

    def __init__(self, code: str, text: str | Message, **values: Any) -> None:
        if code not in STATUS:
            raise ValueError(f"unknown rejection code {code!r}")
        super().__init__(code, text, STATUS[code], **values)

    def __reduce__(self):  # keep code and message when crossing a process boundary
        return (Rejected, (self.code, self.words))


def disk_full() -> Rejected:
    return Rejected("disk_full", DISK_FULL)
