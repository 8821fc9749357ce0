"""Hypothesis strategies shared by the tests."""

from __future__ import annotations

from hypothesis import strategies as st

e164_digits = st.from_regex(r"[1-9][0-9]{6,14}", fullmatch=True)
