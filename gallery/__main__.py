"""The `gallery` command: `gallery ...` (console script) or `python -m gallery ...`.

Decode workers re-run the console script as their main module when they start, so this
must not import the app: the command line is loaded only when it really runs.
"""

import sys

# Commands that decode photos in the worker pool.
POOL_COMMANDS = {"import", "renditions", "demo", "restore"}


def main() -> None:
    if POOL_COMMANDS.intersection(sys.argv[1:]):
        from gallery.ingest import forkserver

        forkserver.start()  # its imports run on another core while the app loads here
    from gallery.cli import main as command

    command()


if __name__ == "__main__":
    main()
