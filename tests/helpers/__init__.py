"""Helpers the tests import by name: `from tests.helpers.images import write_image`.

- `images`: pictures made up for tests (size, colour, format, EXIF; never two alike)
- `apps`: an app over a data directory with its schema migrated
- `accounts`: the CSRF token of a test client's session, signing in
- `cli`: running a `gallery` command in-process and checking its exit code
- `servers`: the real `gallery` command, `gallery serve` on a free port, Chromium
- `upload_client`: a staff site served by `gallery serve` and uploads to it over HTTP
- `site_data`, `search_data`: albums and photos written straight into the database
"""
