"""Text templates that procrun renders (the frozen entry stub, the PyInstaller spec, ...)."""
