"""Human case references such as ``AO-2026-00042`` (DESIGN §2)."""

from __future__ import annotations

import re

REFERENCE_PATTERN = re.compile(r"^[A-Z]{2,6}-\d{4}-\d{5,}$")


def format_reference(prefix: str, year: int, number: int) -> str:
    """Build the reference for the ``number``-th case of ``year`` under ``prefix``."""
    if number < 1:
        raise ValueError("reference numbers start at 1")
    return f"{prefix}-{year:04d}-{number:05d}"
