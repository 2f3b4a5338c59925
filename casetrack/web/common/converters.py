"""URL converters for every route (registered in the app factory before the blueprints).

- ``int``: ASCII digits only, and at most the largest id the schema holds (a signed 32-bit
  INTEGER). ``/arenden/2147483648`` is an id no row can have: 404, where PostgreSQL would
  refuse the query ("integer out of range") and SQLite overflows at 2**63.
- ``string`` (the default): any path segment without a NUL character, which PostgreSQL
  cannot compare with a text column; such a URL answers 404.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

from casetrack.domain.numbers import MAX_ID


class IdConverter(IntegerConverter):
    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max=MAX_ID):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)


class TextConverter(UnicodeConverter):
    def __init__(self, map: Map, minlength: int = 1, maxlength=None, length=None) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]", 1)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = TextConverter
    app.url_map.converters["string"] = TextConverter
