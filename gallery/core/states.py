"""Every state a row can be in, as a type: one list of values, checked where it is stored."""

from __future__ import annotations

from enum import StrEnum


class Visibility(StrEnum):
    """Who may see an album (the whole rule is in gallery.core.visibility)."""

    DRAFT = "draft"  # staff only, being prepared
    PRIVATE = "private"  # staff only, for good
    UNLISTED = "unlisted"  # anyone with the secret link; never listed or searched
    PUBLIC = "public"  # listed for every visitor


class Status(StrEnum):
    """Whether an album or photo is in use or in the trash."""

    ACTIVE = "active"
    TRASHED = "trashed"


class Consent(StrEnum):
    """Whether the people in a photo agreed to its public use."""

    OK = "ok"
    NO_PUBLIC = "no_public"


class Role(StrEnum):
    """What a user may do; each role may do what the ones below it may."""

    STAFF = "staff"  # albums, uploads, curation
    EDITOR = "editor"  # that, plus articles
    ADMIN = "admin"  # that, plus users, the trash and the audit log

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {Role.STAFF: 1, Role.EDITOR: 2, Role.ADMIN: 3}


class Result(StrEnum):
    """What became of one file an import or a rebuild was given."""

    IMPORTED = "imported"  # a new photo
    DUPLICATE = "duplicate"  # the same bytes are in the album already
    REJECTED = "rejected"  # refused, with a code and a reason
    RENDERED = "rendered"  # renditions made again from an original


class JobState(StrEnum):
    """Where a queued upload is: waiting for a worker, with one, or settled."""

    QUEUED = "queued"
    WORKING = "working"
    DONE = "done"  # its outcomes are kept: imported, duplicate or rejected, file by file
    FAILED = "failed"  # the workers kept failing on it (or died under it) too often


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Pick(StrEnum):
    """A culling flag: kept for use, or thrown out (a photo may have neither)."""

    PICK = "pick"
    REJECT = "reject"


class Label(StrEnum):
    """A colour label (Lightroom's and Bridge's five; keys 6-9 give the first four)."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    BLUE = "blue"
    PURPLE = "purple"


MAX_RATING = 5  # stars: 0 (none) to 5


def choices(states: type[StrEnum]) -> str:
    """`a, b, c`: the values of a state, for messages."""
    return ", ".join(state.value for state in states)
