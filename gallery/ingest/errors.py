"""The one way ingest refuses a file: a code, an HTTP status and plain words."""

from __future__ import annotations

# code -> HTTP status, as DESIGN.md lists them
STATUS = {
    "empty": 400,
    "too_large": 413,
    "unsupported_format": 415,
    "too_many_pixels": 413,
    "too_many_frames": 422,
    "corrupt": 422,
    "decoder_failed": 422,
}


class Rejected(Exception):
    """A file the gallery will not accept, with a message a staff member understands."""

    def __init__(self, code: str, message: str) -> None:
        if code not in STATUS:
            raise ValueError(f"unknown rejection code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def __reduce__(self):  # keep code and message when crossing a process boundary
        return (Rejected, (self.code, self.message))
