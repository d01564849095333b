"""The one thing pyproject.toml cannot declare: processing's optional C extension.

``processing._speedups`` checks the range of integer writes to unlocked SharedArrays in C
(see runtime/_speedups.c). It is optional: where no C compiler is found, the build goes on
without it and processing does the same checks in Python, more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("processing._speedups", sources=["runtime/_speedups.c"], optional=True),
    ]
)
