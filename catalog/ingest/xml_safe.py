"""Hardened, streaming XML reading.

Partner files are untrusted. The parser is defusedxml's (expat underneath):
entity declarations (the billion-laughs bomb and its kin) and external
entities or DTDs (XXE: reading local files, reaching the network) are
refused the moment they appear, before anything is expanded. On top of that
the reader enforces explicit size limits: nesting depth, the length of one
text node, the number of elements in one record.

The file is fed in chunks and each record element is handed over as soon as
it is complete, then dropped, so memory holds one record at a time however
large the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import (  # type: ignore[import-untyped,unused-ignore]
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.ElementTree import DefusedXMLParser  # type: ignore[import-untyped,unused-ignore]
from django.utils.translation import gettext as _

from catalog.ingest.errors import CatalogFileRejected

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class XmlLimits:
    max_depth: int = 48
    max_text_chars: int = 1_000_000
    max_elements_per_record: int = 20_000


def local_name(tag: str) -> str:
    """``{http://ns.editeur.org/onix/3.0/reference}Product`` → ``Product``: any namespace, or none."""
    return tag.rpartition("}")[2]


class _RecordBuilder:
    """A parser target that builds elements only inside record elements (children of the root)."""

    def __init__(self, *, is_record: Callable[[str], bool], limits: XmlLimits) -> None:
        self.is_record = is_record
        self.limits = limits
        self.depth = 0
        self.root_tag: str | None = None
        self.root_attrib: dict[str, str] = {}
        self.stack: list[Element] = []
        self.done: list[tuple[Element, int]] = []
        self.elements_in_record = 0
        self.record_line = 0
        self.line_of: Callable[[], int] = lambda: 0
        self.on_root: Callable[[str, dict[str, str]], None] = lambda tag, attrib: None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise CatalogFileRejected(
                _("The file nests elements more than %(n)d deep; a catalogue never needs that.")
                % {"n": self.limits.max_depth}
            )
        if self.depth == 1:
            self.root_tag = tag
            self.root_attrib = dict(attrib)
            self.on_root(tag, self.root_attrib)
            return
        if not self.stack:
            if self.depth != 2 or not self.is_record(local_name(tag)):
                return
            self.elements_in_record = 0
            self.record_line = self.line_of()
            element = Element(tag, attrib)
        else:
            element = Element(tag, attrib)
            self.stack[-1].append(element)
        self.elements_in_record += 1
        if self.elements_in_record > self.limits.max_elements_per_record:
            raise CatalogFileRejected(
                _("A record starting on line %(line)d has more than %(n)d elements; split or fix it.")
                % {"line": self.record_line, "n": self.limits.max_elements_per_record}
            )
        self.stack.append(element)

    def end(self, tag: str) -> None:
        self.depth -= 1
        if not self.stack:
            return
        element = self.stack.pop()
        if not self.stack:
            self.done.append((element, self.record_line))

    def data(self, text: str) -> None:
        if not self.stack:
            return
        element = self.stack[-1]
        if len(element) == 0:
            element.text = (element.text or "") + text
            size = len(element.text)
        else:
            last = element[-1]
            last.tail = (last.tail or "") + text
            size = len(last.tail)
        if size > self.limits.max_text_chars:
            raise CatalogFileRejected(
                _("A text in the record starting on line %(line)d is longer than %(n)d characters.")
                % {"line": self.record_line, "n": self.limits.max_text_chars}
            )

    def close(self) -> None:
        return None


def iter_records(
    stream: IO[bytes],
    *,
    is_record: Callable[[str], bool],
    on_root: Callable[[str, dict[str, str]], None] | None = None,
    limits: XmlLimits | None = None,
) -> Iterator[tuple[Element, int]]:
    """Yield ``(element, line)`` for every child of the root whose local name ``is_record``.

    ``on_root(tag, attributes)`` sees the root element first and may raise
    :class:`CatalogFileRejected`. Raises :class:`CatalogFileRejected` with a
    message a partner can act on for malformed XML, entities, DTD tricks and
    exceeded limits."""
    builder = _RecordBuilder(is_record=is_record, limits=limits or XmlLimits())
    if on_root is not None:
        builder.on_root = on_root
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    expat: Any = parser.parser
    builder.line_of = lambda: int(expat.CurrentLineNumber)
    saw_root = False
    try:
        while True:
            chunk = stream.read(CHUNK_BYTES)
            if not chunk:
                break
            parser.feed(chunk)
            saw_root = saw_root or builder.root_tag is not None
            if builder.done:
                ready, builder.done = builder.done, []
                yield from ready
        parser.close()
    except EntitiesForbidden as exc:
        raise CatalogFileRejected(
            _(
                "The file declares an XML entity (%(name)s). Entities are refused because they can read "
                "files on our servers or expand into gigabytes; send the file without a DOCTYPE."
            )
            % {"name": exc.name}
        ) from exc
    except ExternalReferenceForbidden as exc:
        raise CatalogFileRejected(
            _("The file refers to an external resource (%(sysid)s); we never fetch those. Send plain XML.")
            % {"sysid": exc.sysid or exc.pubid or "?"}
        ) from exc
    except DTDForbidden as exc:  # pragma: no cover - DTDs without entities are allowed
        raise CatalogFileRejected(_("The file has a DOCTYPE; send it without one.")) from exc
    except DefusedXmlException as exc:  # pragma: no cover - any other defence that fires
        raise CatalogFileRejected(_("The file uses an XML feature we refuse for safety: %(e)s") % {"e": exc}) from exc
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        if not saw_root and builder.root_tag is None:
            raise CatalogFileRejected(
                _("This is not an XML file (line %(line)d, column %(col)d). Upload ONIX 3.0 XML or a CSV file.")
                % {"line": line, "col": column}
            ) from exc
        raise CatalogFileRejected(
            _("The XML is broken at line %(line)d, column %(col)d (%(reason)s). Nothing was imported; fix the file.")
            % {"line": line, "col": column, "reason": _expat_reason(exc)}
        ) from exc
    if builder.root_tag is None:
        raise CatalogFileRejected(_("The file is empty."))
    if builder.done:
        yield from builder.done


def _expat_reason(exc: ParseError) -> str:
    text = str(exc)
    return text.split(":")[0] if ":" in text else text
