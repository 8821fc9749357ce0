# GENERATED from _async/__init__.py by scripts/unasync_client.py: do not edit.
"""One flavour of the SDK. ``_async`` is written by hand; ``_sync`` is derived from it by
``scripts/unasync_client.py`` (the ``unasync`` library): edit ``_async``, then run the
script (docs/adr/0017-sdk-one-base-unasync.md)."""
