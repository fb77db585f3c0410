"""One error family: every refusal a person or a shop may see is a :class:`Refusal`.

A refusal is an expected outcome (not enough money, a locked payment password, a card the
network declined), not a bug. It carries

- ``code``: stable, machine-readable, documented; each area enumerates its codes in one
  place (its ``errors.py``) and API clients switch on them;
- ``message``: human text, translated when *read*, not when raised, so one exception can
  render in the language of whoever sees it (the templates may be lazy gettext proxies:
  anything whose ``str()`` is the text; the kernel imports no Django);
- ``param``: the input at fault (a form field or a request-body key), or None.

Views map codes to their own sentences in one place per area when they need to; the
merchant API renders :meth:`Refusal.as_error` as ``{"error": {...}}``. Anything else that
escapes a use case is a bug and gets a 500, never a refusal's message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class Refusal(Exception):
    """Base of every refusal. Subclasses set ``code`` and ``default_message``."""

    code: ClassVar[str] = "refused"
    default_message: ClassVar[object] = "The request was refused."
    # HTTP status the merchant API answers with; areas override where another fits better.
    http_status: ClassVar[int] = 422

    def __init__(
        self,
        message: object | None = None,
        *,
        param: str | None = None,
        params: dict[str, Any] | None = None,
        **details: Any,
    ) -> None:
        self._template = message if message is not None else self.default_message
        self.param = param
        self.params = params or {}
        self.details = details
        super().__init__(self.code)

    @property
    def message(self) -> str:
        """The message in the active language, with its parameters interpolated.

        The template itself is interpolated (not its text), so a lazy plural message picks
        its form from the number among the parameters.
        """
        template = self._template
        if not self.params:
            return str(template)
        if hasattr(template, "__mod__"):  # str, and Django's lazy (n)gettext proxies
            return str(template % self.params)
        return str(template) % self.params

    def as_error(self) -> dict[str, Any]:
        """The body of the API's error envelope: ``{"error": refusal.as_error()}``."""
        return {"code": self.code, "message": self.message, "param": self.param}

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, param={self.param!r})"


class Codes(StrEnum):
    """Base for an area's enumeration of its refusal codes (``class LedgerCode(Codes)``)."""


def codes_of(*families: type[Refusal]) -> dict[str, type[Refusal]]:
    """Every concrete refusal below ``families``, by code; a code used twice is a bug."""
    found: dict[str, type[Refusal]] = {}
    stack = list(families)
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "code" not in vars(cls):
            continue
        other = found.setdefault(cls.code, cls)
        if other is not cls:
            raise AssertionError(f"refusal code {cls.code!r} used by {other} and {cls}")
    return found
