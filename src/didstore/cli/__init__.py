"""The ``didstore`` command line."""
