"""Whole numbers typed or posted by people: ASCII digits only, within the schema's range.

``str.isdigit()`` is true for "²" and "①", which ``int()`` cannot read, and ``int()``
itself takes " 3", "+3", "3_000" and Arabic-Indic digits; every id, version and number
from a request is read here instead, so such input is refused the same way everywhere.
"""

from __future__ import annotations

import re

# Ids and versions are INTEGER columns: PostgreSQL's signed 32-bit range.
MAX_ID = 2**31 - 1

_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")


def ascii_int(value: object, maximum: int = MAX_ID) -> int | None:
    """``value`` as a non-negative int if it is 1–18 ASCII digits and at most
    ``maximum``; otherwise None."""
    if not isinstance(value, str) or _ASCII_DIGITS.fullmatch(value) is None:
        return None
    number = int(value)
    return number if number <= maximum else None
