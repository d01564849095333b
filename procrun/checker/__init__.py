"""``procrun check`` and ``procrun fix``: find and repair code that breaks the guidelines.

Heavy side of procrun: never imported by the launcher, by children or by frozen apps.
"""
