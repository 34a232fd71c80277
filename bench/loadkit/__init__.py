"""The load test's parts: seed a gallery, serve it, browse and upload at once, check it.

`bench/load.py` runs them at full scale and prints figures; `tests/test_load.py` runs the
same code at a small scale and asserts only correctness.
"""
