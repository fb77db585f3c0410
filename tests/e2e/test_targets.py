"""The tap-target checker (tests/harness/targets.py) on a page made for it: what it reports,
and what 2.5.8's inline exception and a control's label keep out."""

from __future__ import annotations

from typing import Any

from tests.harness.targets import small_targets

PAGE = """<!doctype html><html><head><style>
  body { font: 16px/1.5 sans-serif; margin: 0; }
  .tiny { width: 30px; height: 18px; padding: 0; border: 0; }
  .big { width: 44px; height: 44px; }
  .link-alone { display: inline; font-size: 12px; line-height: 1; }
  .clipped { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  label.row { display: block; padding: 12px 0; }
</style></head><body>
  <button class="tiny" id="tiny">x</button>
  <button class="big">ok</button>
  <p>Read the <a href="#terms" id="inline">terms</a> before you pay.</p>
  <div><a href="#forgot" class="link-alone" id="alone">Forgot password?</a></div>
  <label class="row"><input type="checkbox" id="keep"> Keep me signed in</label>
  <input type="checkbox" id="bare">
  <a href="#skip" class="clipped">Skip</a>
  <button hidden class="tiny">hidden</button>
  <div style="display:none"><button class="tiny">none</button></div>
</body></html>"""


def test_small_targets_reports_undersized_controls_and_keeps_out_the_exceptions(
    browser: Any,
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812})
    try:
        page = context.new_page()
        page.set_content(PAGE)
        found = {t.selector: t for t in small_targets(page)}
        # Under 24 px: the tiny button, the link standing alone, the label-less checkbox.
        assert set(found) == {"#tiny", "#alone", "#bare"}, [str(t) for t in found.values()]
        assert found["#tiny"].text == "x"
        assert (found["#tiny"].width, found["#tiny"].height) == (30, 18)
        assert found["#alone"].text == "Forgot password?"
        # A stricter floor (44 px, the platforms' guidance) reports the 24-px-high link too.
        strict = {t.selector for t in small_targets(page, minimum=44)}
        assert "#inline" not in strict  # still an inline link in a sentence
        assert {"#tiny", "#alone", "#bare"} <= strict
    finally:
        context.close()
