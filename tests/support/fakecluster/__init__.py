"""A stateful fake cluster behind a `kubectl` on PATH (cluster.py is the tests' handle).

Kept empty: every fake kubectl call is a process that imports this package, so it stays cheap.
"""
