"""processing: the runtime library procrun scripts run atop.

The API of the ``processing`` package (the ancestor of ``multiprocessing``) on top of the
standard ``multiprocessing``, with the programming guidelines turned into behaviour. This is
the package's foundation; its API is being filled in. Like everything a child process or a
frozen app imports, it uses only the standard library.
"""

__version__ = "0.1.0"
__all__: list[str] = []
