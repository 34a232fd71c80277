"""Uploaded files arrive hashed into uploads/tmp, so an upload is written once.

Werkzeug would spool each file of a form to a temp file of its own, for the import to copy
into uploads/tmp and hash there: two more writes and two more reads of every byte, in the
request thread. Its stream factory hands each file an `Intake` in uploads/tmp instead: the
SHA-256 is made while the request is read, and the original is placed with a rename on the
same file system (bench/upload.py: 37-52 ms before, 28-31 ms now, per 7 MB photo).
"""

from __future__ import annotations

from typing import IO, Any, cast

from flask import Request, current_app

from gallery.ingest.accept import Intake


class UploadRequest(Request):
    """A request whose form files are `Intake`s; those not taken are removed at its end."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Kept here as well as in `files`: a request cut off in the middle of a file
        # leaves that one out of `files`, and it must go too.
        self._intakes: list[Intake] = []

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        intake = Intake(current_app.extensions["gallery.storage"].temp_path(".upload"))
        self._intakes.append(intake)
        return cast(IO[bytes], intake)  # what Werkzeug calls: write, seek, read, close

    def close(self) -> None:
        super().close()
        for intake in self._intakes:
            intake.discard()  # nothing, for a file the import renamed into place


def intake_of(upload: object) -> Intake:
    """The `Intake` an uploaded file was written to (the stream of its FileStorage)."""
    stream = getattr(upload, "stream", None)
    if not isinstance(stream, Intake):
        raise TypeError("the app's request_class must be UploadRequest")
    return stream
