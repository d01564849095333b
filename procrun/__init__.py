"""procrun: run multiprocessing programs safely under every start method.

This package is imported by every child process and frozen app, so it stays light: the
command-line interface (typer, rich) lives in ``procrun.cli`` and is imported only there.
"""

__version__ = "0.1.0"
