"""The e-mails of every site: an HTML body and its plain-text twin in one message (named
not to shadow the standard library's email where a tool runs in this directory).

A site renders one HTML template (extending its own base, which extends
``web/email/layout.html``); the text part is derived from that HTML here, so the two never
disagree and each e-mail is written (and translated) once. Buttons (``class="button"``)
become their label and, on the next line, their link, so the plain part keeps every link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.utils.html import format_html

from zhifu.config.site import config

# Pico's primary blue, the colour of the sites' own buttons (4.5:1 on white).
DEFAULT_ACCENT = "#0172ad"

# Elements that start and end a paragraph of the text part.
_BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "table", "tr", "ul", "ol", "li", "blockquote"})
# Elements whose text is not part of the message (the <title> repeats the subject); so is
# an element marked data-html-only (the header's name, repeated by the sign-off).
_SKIPPED = frozenset({"head", "style", "script", "title"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr"})


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.line: list[str] = []
        self.skipping = 0  # depth inside a skipped element
        self.link: tuple[str, bool, list[str]] | None = None  # href, is a button, its words

    def _end_paragraph(self) -> None:
        # White space collapses as a browser collapses it; only <br> breaks a line.
        text = re.sub(r" *\n *", "\n", re.sub(r"[^\S\n]+", " ", "".join(self.line)))
        if text.strip():
            self.paragraphs.append(text.strip())
        self.line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if self.skipping or tag in _SKIPPED or "data-html-only" in attributes:
            self.skipping += tag not in _VOID
        elif tag in _BLOCKS:
            self._end_paragraph()
        elif tag == "br":
            self.line.append("\n")
        elif tag == "a":
            classes = (attributes.get("class") or "").split()
            self.link = (attributes.get("href") or "", "button" in classes, [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.line.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            self.skipping -= 1
            return
        if tag in _BLOCKS:
            self._end_paragraph()
        elif tag == "a" and self.link is not None:
            href, button, words = self.link
            self.link = None
            label = " ".join("".join(words).split())
            target = href.removeprefix("mailto:")
            if button:
                self.line.append(f"{label}:\n{href}")
            elif not label or label == target:
                self.line.append(target)
            else:
                self.line.append(f"{label} ({target})")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        data = re.sub(r"\s+", " ", data)
        if self.link is not None:
            self.link[2].append(data)
        else:
            self.line.append(data)


def plain_text(html: str) -> str:
    """The text part of an HTML e-mail: its paragraphs, links written out in full."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    writer._end_paragraph()
    return "\n\n".join(writer.paragraphs) + "\n"


def layout_context(site_name: str, accent: str | None = None) -> dict[str, Any]:
    """What ``web/email/layout.html`` needs: the site's name and colour, and the support
    address (ZHIFU_SUPPORT_EMAIL) every "contact support" names as a mailto link."""
    colour = accent or DEFAULT_ACCENT
    support = config().env.support_email
    return {
        "site_name": site_name,
        "accent": colour,
        "support_email": support,
        "support_link": format_html(
            '<a href="mailto:{0}" style="color:{1};">{0}</a>', support, colour
        ),
    }


@dataclass(frozen=True)
class Email:
    subject: str
    html: str
    language: str

    @property
    def text(self) -> str:
        return plain_text(self.html)

    def message(self, to: str) -> EmailMultiAlternatives:
        """multipart/alternative: the text first, the HTML last (the one readers prefer)."""
        # Content-Language (RFC 3282): mail readers, and the demo mailbox, mark the language.
        message = EmailMultiAlternatives(
            subject=" ".join(self.subject.split()),
            body=self.text,
            to=[to],
            headers={"Content-Language": self.language},
        )
        message.attach_alternative(self.html, "text/html")
        return message
