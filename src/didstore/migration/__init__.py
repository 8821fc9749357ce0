"""Moving numbers from another provider to didstore (issue 10: Plivo).

Nothing is imported here: ``didstore --help`` must not load the numbering-plan library."""

#: Plivo's public API root; ``/v1/Account/{auth_id}/…`` is appended.
PLIVO_API = "https://api.plivo.com"
