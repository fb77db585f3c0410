"""axe-core checks for the e2e tests (UX.md: zero serious or critical findings on every page).

axe-core is vendored for the tests only (tests/e2e/vendor/, see VENDORED.md); it is never served
to users. `assert_accessible(page, name)` runs it on the page as it is now and fails listing
every serious or critical violation; all findings (any impact) are also written to
test-output/e2e/axe/<name>.json for review.

About the CSP: the pages send `script-src 'self'`, so `page.add_script_tag(path=...)` (which
inlines the file into a <script> element) is refused by the browser, and the refusal is logged
as a console error. Rather than weakening the app's CSP, or opening the tests' browser contexts
with `bypass_csp=True` (which would also let an inline script of the app itself slip through
the very tests that walk the pages), the file is evaluated through Playwright's `page.evaluate`:
that goes through the DevTools protocol, which the page's CSP does not govern. Nothing is added
to the DOM and the page's own scripts keep running under the real policy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE_JS = VENDOR / "axe-4.14.1.min.js"
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e" / "axe"
TAGS = ["wcag2a", "wcag2aa", "best-practice"]
FAILING = ("serious", "critical")

_source: str | None = None


def _axe_source() -> str:
    global _source
    if _source is None:
        # A trailing expression so that evaluate() does not try to serialise axe's return value.
        _source = AXE_JS.read_text(encoding="utf-8") + "\n;true"
    return _source


def settle(page: Any) -> None:
    """Wait for the page's finite CSS transitions and animations (a dropdown fading in): checked
    or photographed half-way, text is paler than it ever stays."""
    page.evaluate(
        """() => Promise.all(document.getAnimations()
            .filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
            .map(a => a.finished.catch(() => null)))
            .then(() => true)"""
    )


def run_axe(page: Any) -> dict[str, list[dict[str, Any]]]:
    """axe's violations (any impact) and the checks it could not decide ("incomplete")."""
    settle(page)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                        resultTypes: ['violations', 'incomplete']})
            .then(r => {
                const brief = (items) => items.map(v => ({
                    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                    nodes: v.nodes.map(n => ({target: n.target, impact: n.impact,
                                              summary: n.failureSummary})),
                }));
                return {violations: brief(r.violations), incomplete: brief(r.incomplete)};
            })""",
        TAGS,
    )
    return dict(result)


def assert_accessible(page: Any, name: str) -> None:
    """Fail if axe-core finds any serious or critical violation on the page as it is now."""
    result = run_axe(page)
    violations = result["violations"]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"{name}.json").write_text(
        json.dumps({"url": page.url, **result}, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    lines = []
    for violation in violations:
        if violation["impact"] not in FAILING:
            continue
        targets = ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"      {targets}")
    assert not lines, f"axe-core on {name} ({page.url}):\n" + "\n".join(lines)
