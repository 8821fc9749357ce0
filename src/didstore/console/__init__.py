"""The web console (issue 11, ADR 0019): server-rendered pages at ``/console/`` that call the
services directly, with every asset shipped in the package (``static/``, ``templates/``)."""
