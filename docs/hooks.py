"""MkDocs hook: Sphinx roles in docstrings (``:class:`~a.b.C```) read as plain code.

The code's docstrings use Sphinx roles; mkdocstrings renders docstrings as Markdown, where
a role would show up as ``:class:`` before the code. Only the role is dropped, and ``~``
keeps the last dotted part, as Sphinx shows it.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):<code>(~?)([^<]*)</code>")


def _plain(match: re.Match[str]) -> str:
    short, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if short else target}</code>"


def on_page_content(html: str, **_: Any) -> str:
    return _ROLE.sub(_plain, html)
