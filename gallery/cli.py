"""The `gallery` command (also `flask --app gallery ...`): each capability adds its own
commands in its `init_app`; this is only the group they join."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import FlaskGroup

from gallery import create_app


def _set_data_dir(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        os.environ["GALLERY_DATA_DIR"] = value


def _make_app() -> Flask:
    return create_app()


main = FlaskGroup(
    name="gallery",
    help="Photo gallery and media asset manager.",
    create_app=_make_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    params=[
        click.Option(
            ["--data"],
            metavar="DIR",
            expose_value=False,
            is_eager=True,
            callback=_set_data_dir,
            help="Data root (database, uploads/, index/); also GALLERY_DATA_DIR.",
        )
    ],
)
