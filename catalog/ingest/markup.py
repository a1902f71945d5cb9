"""Descriptions from partners' feeds, made safe to show.

Feeds carry XHTML (ONIX ``textformat="05"``), escaped HTML, or plain text.
Everything passes through nh3 (the Ammonia sanitiser) with a short allow-list:
paragraphs, emphasis, lists, quotes and links; no scripts, styles, event
handlers or foreign URL schemes survive.
"""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote", "h3", "h4", "a", "sub", "sup"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_BLOCK_TAG = re.compile(r"<(p|ul|ol|blockquote|h3|h4)\b", re.IGNORECASE)
_ANY_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_BLOCK_END = re.compile(r"</(?:p|li|h\d|blockquote|div)>|<br\s*/?>", re.IGNORECASE)


def html_sanitize(raw: str) -> str:
    """Sanitised HTML for ``raw`` HTML or XHTML."""
    cleaned = nh3.clean(
        raw,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()
    if cleaned and not _BLOCK_TAG.search(cleaned):
        cleaned = f"<p>{cleaned}</p>"
    return cleaned


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs (blank lines separate paragraphs)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


def description_from_feed(raw: str, *, is_markup: bool | None = None) -> str:
    """Sanitised HTML from a feed's text. ``is_markup`` None: guess from the text."""
    if is_markup is None:
        is_markup = bool(_ANY_TAG.search(raw))
    return html_sanitize(raw) if is_markup else text_to_html(raw)


def plain_text(raw: str) -> str:
    """Text without any markup (for biographies and names)."""
    spaced = _BLOCK_END.sub(" ", raw)
    stripped = nh3.clean(spaced, tags=set(), strip_comments=True)
    return " ".join(html.unescape(stripped).split())
