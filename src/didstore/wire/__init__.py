"""Service records -> the exact JSON the compatible API documents (one function per shape).

The newer Vobiz SDK validates every response with ``extra="forbid"`` models: each function
here emits exactly the documented key set, never null where a key is required, and integral
fees (spec §2, §4.1, §4.3; entities spec §3, §4, §5). The API, the CLI's ``--json`` output and
the console all render through these functions.
"""
