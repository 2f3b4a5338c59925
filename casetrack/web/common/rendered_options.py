"""Options of a long <select> whose HTML is built once (``LargeSelect``,
casetrack/web/common/forms.py): the units of the org tree, the same on many pages."""

from __future__ import annotations

import functools
import threading

from markupsafe import escape

from casetrack.access.org_tree import OrgTree

# Option lists kept per process (one per tree version and set of units; a förvaltning-wide
# list with its HTML is about half a megabyte, an enhet's a few kB).
MAX_RENDERED = 64


class RenderedOptions(tuple):
    """(value, label) pairs whose ``<option>`` HTML is built (and escaped) once."""

    @functools.cached_property
    def html(self) -> tuple[tuple[str, ...], dict[str, int]]:
        options = tuple(
            f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in self
        )
        return options, {str(value): index for index, (value, _) in enumerate(self)}


_lock = threading.Lock()
_rendered: dict[tuple[str, frozenset[int]], RenderedOptions] = {}


def tree_options(tree: OrgTree, ids: frozenset[int]) -> RenderedOptions:
    """``tree.tree_choices(ids)`` with their HTML, kept per tree version (its token: a
    changed tree has a new one) and set of ids."""
    choices = tree.tree_choices(ids)
    if tree.token is None:  # a database without the version row: nothing is cached
        return RenderedOptions(choices)
    key = (tree.token, frozenset(ids))
    options = _rendered.get(key)
    if options is None:
        options = RenderedOptions(choices)
        with _lock:
            if len(_rendered) >= MAX_RENDERED:
                _rendered.clear()
            _rendered[key] = options
    return options
