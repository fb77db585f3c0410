"""The merchant API's docs page (issue 11, merchant API): /api/v1/docs renders every
operation in Chromium under the wallet's Content-Security-Policy, from the wallet's own
static files (nothing from a CDN), with no CSP violation or script error."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.harness.demo import Demo


def test_the_docs_page_renders_every_operation_under_the_csp(
    demo: Demo, browser: Any, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))

    response = page.goto(demo.urls["wallet"] + "/api/v1/docs")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock")
    # One block per operation of the OpenAPI document (payments, refunds, webhooks, events).
    spec = page.request.get(demo.urls["wallet"] + "/api/v1/openapi.json").json()
    operations = sum(
        method in {"get", "post", "put", "patch", "delete"}
        for item in spec["paths"].values()
        for method in item
    )
    assert operations >= 18
    assert page.locator(".opblock").count() == operations
    assert page.locator(".info .title").first.inner_text().startswith("zhifu merchant API")
    page.locator(".opblock-summary-path", has_text="/api/v1/payments").first.click()
    page.wait_for_selector(".responses-table")
    page.screenshot(path=str(shots / "api-docs.png"))
    assert problems == []
    assert hosts == {urlsplit(demo.urls["wallet"]).netloc}  # only the wallet itself
    page.close()
