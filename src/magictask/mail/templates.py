"""Rendering a message from its templates: `<kind>.subject.txt`, `<kind>.txt` and `<kind>.html`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@lru_cache
def _environment() -> Environment:
    # StrictUndefined: a template naming a variable the caller forgot fails at queue time, in the request
    # (a 500 in tests), rather than mailing a blank link.
    return Environment(
        loader=PackageLoader("magictask.mail", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render(kind: str, context: dict[str, Any]) -> RenderedMail:
    env = _environment()
    subject = env.get_template(f"{kind}.subject.txt").render(context).strip()
    return RenderedMail(
        subject=" ".join(subject.split()),  # one line: a header cannot carry newlines
        text=env.get_template(f"{kind}.txt").render(context),
        html=env.get_template(f"{kind}.html").render(context),
    )
