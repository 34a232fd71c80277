"""What happened, for the capabilities that follow it: the sender is the app, so each app
(and each test's app) hears only its own events.

A signal rather than a call keeps the arrows one way: the catalog adds photos without
knowing that search indexes them.
"""

from __future__ import annotations

from blinker import Namespace

_events = Namespace()

# An import stored and committed new photos: `ids`, the new photos' ids, in one batch.
photos_added = _events.signal("photos-added")
