"""The visitor site: the album list by year, album pages in justified rows, photo pages,
the Atom feed, and the media files behind them.

`album_list`, `cards`, `tiles`, `justify`, `feed`, `media` and `photo_facts` build what
the pages show; `views` are the routes. Who sees what: gallery.core.visibility.
"""

from __future__ import annotations

from flask import Flask

from gallery.site import views
from gallery.web.serve import add_warm_up


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    add_warm_up(app, views.warm_up_urls)
