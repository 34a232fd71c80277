"""The `gallery` command (also `flask --app gallery ...`): each capability adds its own
commands in its `init_app`; this is only the group they join.

`gallery import` runs in an app without the web layer (see `create_app`): it is found
here without building the whole app, which its first photo would wait for.
"""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo

from gallery import create_app
from gallery.config import SettingError


def _set_data_dir(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        os.environ["GALLERY_DATA_DIR"] = value


def _make_app() -> Flask:
    return _refusing_bad_settings(web=True)


def _make_data_app() -> Flask:
    return _refusing_bad_settings(web=False)


def _refusing_bad_settings(web: bool) -> Flask:
    """The app, or settings it cannot start with said in one line (exit 1, no traceback)."""
    try:
        return create_app(web=web)
    except SettingError as exc:
        raise click.ClickException(str(exc)) from None


def _data_commands() -> dict[str, click.Command]:
    """The commands that work on the data alone, by name."""
    from gallery.catalog.cli import import_, worker

    return {"import": import_, "worker": worker}


class GalleryGroup(FlaskGroup):
    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = _data_commands().get(cmd_name)
        if command is None:
            return super().get_command(ctx, cmd_name)
        ctx.ensure_object(ScriptInfo).create_app = _make_data_app
        return command


main = GalleryGroup(
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
