"""Options of a long <select> whose HTML is built once (casetrack/web/cases/forms.py)."""

from __future__ import annotations

import functools

from markupsafe import escape


class RenderedOptions(tuple):
    """(value, label) pairs whose ``<option>`` HTML is built (and escaped) once, for a
    long list that is the same on many pages (the units of the org tree, cached per
    process by casetrack/access/org_tree.py)."""

    @functools.cached_property
    def html(self) -> tuple[tuple[str, ...], dict[str, int]]:
        options = tuple(
            f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in self
        )
        return options, {str(value): index for index, (value, _) in enumerate(self)}
