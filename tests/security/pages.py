"""Helpers for the logging tests: an access log as a web server writes it, and a small
HTML reader for links and forms (standard library only)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

access_logger = logging.getLogger("werkzeug")


class AccessLogMiddleware:
    """WSGI middleware that writes what a real access log would: client, method, the path
    *with* its query string, protocol, status and any redirect target (stricter than
    ``casetrack serve``, whose gunicorn format leaves the query string out)."""

    def __init__(self, app):
        self.app = app
        self.lines: list[str] = []

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]

        def logging_start_response(status, headers, exc_info=None):
            location = dict(headers).get("Location", "-")
            line = (
                f'{environ.get("REMOTE_ADDR", "-")} - - "{environ["REQUEST_METHOD"]} {path} '
                f'{environ.get("SERVER_PROTOCOL", "HTTP/1.1")}" {status.split()[0]} {location}'
            )
            self.lines.append(line)
            access_logger.info(line)
            return start_response(status, headers, exc_info)

        return self.app(environ, logging_start_response)


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    text_fields: list[str] = field(default_factory=list)
    selects: dict[str, list[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attr = {k: v or "" for k, v in attrs}
        if tag == "a" and attr.get("href"):
            self.links.append(urljoin(self.url, attr["href"]))
        elif tag == "form":
            action = urljoin(self.url, attr.get("action") or self.url)
            self._form = Form(action=action, method=(attr.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None or (not attr.get("name") and tag != "option"):
            return
        elif tag == "input":
            kind = attr.get("type", "text").lower()
            name = attr["name"]
            if kind in ("checkbox", "radio"):
                if "checked" in attr:
                    self._form.fields[name] = attr.get("value", "on")
            elif kind == "file":
                self._form.files.append(name)
            elif kind not in ("submit", "button", "image", "reset"):
                self._form.fields[name] = attr.get("value", "")
                if kind in ("text", "search", "email", "tel"):
                    self._form.text_fields.append(name)
        elif tag == "select":
            self._select = attr["name"]
            self._form.selects[self._select] = []
            self._form.fields.setdefault(self._select, "")
        elif tag == "option" and self._select is not None:
            value = attr.get("value", "")
            self._form.selects[self._select].append(value)
            if "selected" in attr or len(self._form.selects[self._select]) == 1:
                self._form.fields[self._select] = value
        elif tag == "textarea":
            self._textarea = attr["name"]
            self._form.fields[self._textarea] = ""
            self._form.text_fields.append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea is not None:
            self._form.fields[self._textarea] += data


def read_page(html: str, url: str) -> tuple[list[str], list[Form]]:
    """(absolute links, forms) of a page at ``url``."""
    parser = _PageParser(url)
    parser.feed(html)
    return parser.links, parser.forms


def local_path(url: str) -> str | None:
    """The path and query of an in-app URL, or None for another host."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or parts.scheme not in ("", "http"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
