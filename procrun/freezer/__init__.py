"""``procrun freeze``: build a PyInstaller executable with procrun's bootstrap inside.

Heavy side of procrun (PyInstaller, rich): never imported by children or by frozen apps.
"""
