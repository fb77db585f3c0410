"""Tap targets under 24 x 24 px (WCAG 2.2, 2.5.8 Target Size (Minimum)), for browser walks.

``small_targets(page)`` returns every visible control of the page as it is now (links,
buttons, inputs, selects, summaries, ``role=button``/``link``) whose box is under
``minimum`` px wide or high, each with its text, a CSS selector and its size. A walk asserts
``small_targets(page) == []`` on every page state.

What counts, decided against 2.5.8's exceptions:
- **Inline** (kept out): a link inside a sentence, where its size is set by the line of text
  (``display: inline`` with other words in the same block). 2.5.8 exempts it; making every
  link in running text 24 px tall would space the text apart for nothing.
- **Equivalent / user agent / essential** (not used): never assumed.
- **Spacing** (not used, stricter than 2.5.8): a control under 24 px fails even if nothing
  else is near. The pages are for phones; 24 px is already the floor under 44 px guidance.
- A checkbox or radio button counts with its label: a tap on the label works the control,
  so the larger of the two boxes is its target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

MINIMUM = 24

_SCRIPT = (Path(__file__).parent / "targets.js").read_text()


@dataclass(frozen=True)
class SmallTarget:
    selector: str
    text: str
    width: float
    height: float

    def __str__(self) -> str:
        return f"{self.selector} {self.text!r}: {self.width:g} x {self.height:g} px"


def small_targets(page: Any, minimum: int = MINIMUM) -> list[SmallTarget]:
    """The page's visible controls under ``minimum`` x ``minimum`` px (inline links aside).

    Evaluated through Playwright (the DevTools protocol), so the pages' CSP, which forbids
    inline scripts, is neither bypassed nor in the way."""
    return [SmallTarget(**found) for found in page.evaluate(_SCRIPT, minimum)]
