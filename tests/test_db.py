"""The database engine: a connection kept for every thread that works at once."""

from __future__ import annotations

import threading

from sqlalchemy import event

from gallery.core.db import make_engine


def test_the_engine_keeps_a_connection_for_each_thread_working_at_once(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'g.sqlite3'}", threads=8)
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    together = threading.Barrier(8)

    def work() -> None:
        for _ in range(20):
            with engine.connect() as connection:
                together.wait(timeout=10)  # all eight hold a connection at the same moment
                connection.exec_driver_sql("SELECT 1")
            together.wait(timeout=10)  # and all have given it back before the next round

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert len(opened) == 8  # with SQLAlchemy's default pool (5 kept): 65
