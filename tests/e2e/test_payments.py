"""Paying on the wallet's cashier, end to end in Debian's chromium against `zhifu demo` (real
wallet, real shop as the identity provider, real cardnet over HTTP, the merchant API):

1. the shop creates a payment through the API → a registered buyer pays with the saved card
   and the payment password → the receipt → back at the shop's return_url with the id;
2. the same buyer pays a second order with a new card and "Save this card";
3. a buyer who never registered in the wallet (a light account) pays a first order with a
   new card, signed in on the way through the shop, and is invited to finish registration;
4. a declined card shows its reason beside the form;
5. five wrong payment passwords lock it: the tries left are counted down, then the lock
   message with the way to recovery.

Every page is photographed at 1280 px in English and at 375 px in Russian (no sideways
scrolling) and checked with axe-core. Screenshots go to test-output/e2e/<test>/.
"""

from __future__ import annotations

import json
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.test_cards import PIN, add_card, masked, register_buyer
from tests.e2e.test_onboarding import confirmation_link
from tests.harness.demo import Demo
from tests.harness.leaks import card_number

pytestmark = pytest.mark.slow

KEY = re.compile(r"sk_test_[A-Za-z0-9]{16,}")
# Canaries for the leak scan (tests/harness/leaks.py), new in every run.
SAVED_VISA, NEW_MASTERCARD, LIGHT_VISA = (
    card_number("4242"),
    card_number("5555"),
    card_number("4242"),
)
INSUFFICIENT_FUNDS = "4000000000009995"  # cardnet's documented decline (docs/test-cards.md)
WRONG_PIN = "000000" if PIN != "000000" else "111111"


# --- the shop's side: the merchant API ----------------------------------------------------


@pytest.fixture(scope="module")
def api_key(demo: Demo) -> str:
    """The demo shop's test key, as `zhifu demo` keeps it (and prints it with the demo's
    other credentials): in the demo's secrets folder."""
    path = demo.data_dir / "secrets" / "demo_shop_api_key"
    key = path.read_text().strip() if path.is_file() else ""
    if not KEY.fullmatch(key):
        found = KEY.findall(demo.output())
        assert found, "the demo printed no test key for its shop"
        key = found[-1]
    return key


def api(demo: Demo, key: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the demo's own address
        f"{demo.urls['wallet']}/api/v1{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            **({"Idempotency-Key": secrets.token_hex(16)} if method == "POST" else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310
            return dict(json.loads(resp.read()))
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {path}: {exc.code} {exc.read()!r}") from None


def new_payment(
    demo: Demo, key: str, amount: int = 178000, currency: str = "RUB"
) -> dict[str, Any]:
    """The shop asks for a payment; the buyer is then sent to its cashier_url."""
    order = f"order-{secrets.token_hex(3)}"
    payment = api(
        demo, key, "POST", "/payments",
        {"amount": amount, "currency": currency, "order_reference": order,
         "description": "Tea and a teapot", "return_url": f"{demo.urls['marketplace']}/",
         "capture_method": "automatic", "metadata": {"cart": order}},
    )  # fmt: skip
    assert payment["status"] == "requires_payment_method", payment
    assert payment["cashier_url"] == f"{demo.urls['wallet']}/pay/{payment['id']}/"
    return payment


# --- the buyer's side ---------------------------------------------------------------------


class Walk:
    """One browser context; numbered screenshots, each page checked with axe-core."""

    def __init__(self, browser: Any, shots: Path | None = None, locale: str = "en-US") -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.shots, self.step = shots or Path("."), 0

    def into(self, shots: Path) -> Walk:
        """The same browser (and buyer) photographed into another test's folder."""
        self.shots, self.step = shots, 0
        return self

    def shot(self, name: str, check: bool = True) -> None:
        self.step += 1
        self.page.screenshot(path=str(self.shots / f"{self.step:02d}-{name}.png"), full_page=True)
        if check:
            assert_accessible(self.page, f"payments-{name}")

    def language(self, code: str) -> None:
        self.page.locator(".lang-switch").get_by_role("button", name=code, exact=True).click()
        self.page.wait_for_load_state()

    def phone(self, name: str, then: Callable[[], None] | None = None) -> None:
        """The page in Russian at 375 px (after ``then``, the action whose answer is to be
        photographed: switching the language reloads the page): no sideways scrolling;
        back to 1280 px in English."""
        page = self.page
        self.language("ru")
        page.set_viewport_size({"width": 375, "height": 812})
        try:
            if then is not None:
                then()
            width = page.evaluate("document.documentElement.scrollWidth")
            self.shot(f"{name}-ru-375")
            assert width <= 375, f"{name}: {width}px wide at 375"
        finally:
            page.set_viewport_size({"width": 1280, "height": 900})
            self.language("en")

    def close(self) -> None:
        self.context.close()


def shop_signup(page: Any, demo: Demo, address: str) -> None:
    """A shop account only: the buyer has never been to the wallet."""
    shop = demo.urls["marketplace"]
    page.goto(f"{shop}/signup/")
    page.get_by_label("Name").fill("Light Buyer")
    page.get_by_label("E-mail").fill(address)
    page.get_by_label("Password", exact=True).fill("amber-meadow-" + secrets.token_hex(3))
    page.get_by_label("Language").select_option("en")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{shop}/signup/sent/")
    page.goto(confirmation_link(demo.data_dir / "mail", address, link_path="/signup/confirm/"))
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"{shop}/")


def open_cashier(page: Any, demo: Demo, payment: dict[str, Any]) -> None:
    """Follow the cashier_url; through the shop's sign-in (and its consent) when needed."""
    page.goto(payment["cashier_url"])
    page.wait_for_load_state()
    if page.url.startswith(demo.urls["marketplace"]):
        page.get_by_role("button", name=re.compile("Authori[sz]e|Allow|Continue")).click()
    at(page, payment["cashier_url"])


def at(page: Any, url: str) -> None:
    """Wait for ``url`` (a form posts to its section's #fragment, which a redirect keeps)."""
    page.wait_for_url(re.compile(re.escape(url) + r"(#[\w-]*)?$"))


def fill_new_card(page: Any, number: str, cvc: str = "739") -> None:
    """Type a card into the cashier's new-card form (by field id: any page language)."""
    page.locator("#id_number").press_sequentially(number, delay=5)
    page.locator("#id_expiry").press_sequentially("1230", delay=5)
    page.locator("#id_cvc").fill(cvc)
    page.locator("#id_holder_name").fill("ANNA IVANOVA")


def back_to_shop(walk: Walk, demo: Demo, payment: dict[str, Any]) -> None:
    """The receipt's button returns to the shop's return_url with the payment's id."""
    page = walk.page
    page.get_by_role("button", name="Back to zhifu shop").click()  # a link styled as one
    page.wait_for_url(re.compile(re.escape(f"{demo.urls['marketplace']}/?") + ".*"))
    assert f"payment_id={payment['id']}" in page.url


@pytest.fixture(scope="module")
def registered(demo: Demo, browser: Any) -> Iterator[Walk]:
    """One registered buyer with a saved Visa, for the runs that need the wallet's
    registration (the shop lets one address sign up three times an hour unchallenged:
    these runs share one sign-up, and the lock run comes last)."""
    walk = Walk(browser)
    wallet = demo.urls["wallet"]
    register_buyer(walk.page, demo, f"pay-{secrets.token_hex(4)}@example.com")
    walk.page.goto(f"{wallet}/cards/add/")
    add_card(walk.page, SAVED_VISA, label="Salary")
    walk.page.get_by_role("button", name="Save card").click()
    walk.page.wait_for_url(f"{wallet}/cards/")
    yield walk
    walk.close()


def test_a_registered_buyer_pays_with_the_saved_card_and_then_a_new_one(
    demo: Demo, registered: Walk, shots: Path, api_key: str
) -> None:
    key = api_key
    walk = registered.into(shots)
    page, wallet = walk.page, demo.urls["wallet"]
    try:
        # 1. A saved card and the payment password.
        payment = new_payment(demo, key)
        open_cashier(page, demo, payment)
        main = page.inner_text("main")
        assert "Payment to zhifu shop" in main
        assert payment["order_reference"] in main
        assert "1,780.00" in page.locator("#order-amount").inner_text()
        assert "minutes" in page.locator(".time-left").inner_text()
        choice = page.locator(".card-choice input[type=radio]")
        assert choice.count() == 1
        assert choice.first.is_checked()
        assert masked(SAVED_VISA) in main
        pin = page.get_by_label("Enter your payment password")
        assert pin.get_attribute("inputmode") == "numeric"
        assert pin.get_attribute("autocomplete") == "off"
        assert pin.get_attribute("maxlength") == "6"
        walk.shot("cashier-saved-card-en-1280")
        walk.phone("cashier-saved-card")
        pin = page.get_by_label("Enter your payment password")
        pin.fill(PIN)
        page.locator("#pay-saved-card button[type=submit]").click()
        at(page, f"{wallet}/pay/{payment['id']}/receipt/")
        assert "Payment complete" in page.inner_text("main")
        assert f"Visa ending in {SAVED_VISA[-4:]}" in page.inner_text("main")
        walk.shot("receipt-en-1280")
        walk.phone("receipt")
        back_to_shop(walk, demo, payment)
        assert api(demo, key, "GET", f"/payments/{payment['id']}")["status"] == "succeeded"

        # 2. A new card, saved for next time.
        payment = new_payment(demo, key, amount=4900, currency="CNY")
        open_cashier(page, demo, payment)
        page.get_by_text("Pay with a new card").click()
        form = page.locator("#pay-new-card")
        for name, value in [("Card number", "cc-number"), ("Expiry (MM/YY)", "cc-exp"),
                            ("CVC", "cc-csc"), ("Cardholder name", "cc-name")]:  # fmt: skip
            assert form.get_by_label(name).get_attribute("autocomplete") == value
        assert form.get_by_label("Card number").get_attribute("inputmode") == "numeric"
        fill_new_card(page, NEW_MASTERCARD)
        form.get_by_label("Save this card").check()
        walk.shot("cashier-new-card-en-1280")
        form.locator("button[type=submit]").click()
        at(page, f"{wallet}/pay/{payment['id']}/receipt/")
        assert "Payment complete" in page.inner_text("main")
        back_to_shop(walk, demo, payment)
        page.goto(f"{wallet}/cards/")
        assert masked(NEW_MASTERCARD) in page.inner_text("main")

        # The account page shows the latest payments and leads to the history; both payments
        # are there, newest first.
        page.goto(f"{wallet}/account/")
        assert page.locator("#payments .payment-row").count() == 2
        page.get_by_role("link", name="All payments").click()
        page.wait_for_url(f"{wallet}/pay/history/")
        rows = page.locator(".payment-row")
        assert rows.count() == 2
        assert "Paid" in rows.first.inner_text()
        assert f"Mastercard ending in {NEW_MASTERCARD[-4:]}" in rows.first.inner_text()
        walk.shot("history-en-1280")
        walk.phone("history")
        rows.first.click()
        page.wait_for_url(f"{wallet}/pay/history/{payment['id']}/")
        walk.shot("history-detail-en-1280")
    except Exception:
        walk.shot("failure", check=False)
        raise


def test_a_light_account_pays_a_first_order_without_registering(
    demo: Demo, browser: Any, shots: Path, api_key: str
) -> None:
    walk = Walk(browser, shots)
    page, wallet = walk.page, demo.urls["wallet"]
    try:
        shop_signup(page, demo, f"light-{secrets.token_hex(4)}@example.com")
        payment = new_payment(demo, api_key, amount=89000)
        open_cashier(page, demo, payment)  # signed in through the shop, no e-mail gate
        main = page.inner_text("main")
        assert "You can pay without registering" in main
        assert page.locator("#pay-saved-card").count() == 0
        assert page.get_by_label("Save this card").count() == 0  # nothing to save it to yet
        assert page.get_by_label("Enter your payment password").count() == 0
        walk.shot("cashier-light-en-1280")
        walk.phone("cashier-light")
        fill_new_card(page, LIGHT_VISA)
        page.locator("#pay-new-card button[type=submit]").click()
        at(page, f"{wallet}/pay/{payment['id']}/receipt/")
        assert "Payment complete" in page.inner_text("main")
        invite = page.locator(".invite")
        assert "Save your card for next time: finish registration" in invite.inner_text()
        assert (
            invite.get_by_role("link", name="Finish registration").get_attribute("href")
            == "/confirm-email/"
        )
        walk.shot("receipt-light-en-1280")
        walk.phone("receipt-light")
        back_to_shop(walk, demo, payment)
        assert api(demo, api_key, "GET", f"/payments/{payment['id']}")["status"] == "succeeded"
    except Exception:
        walk.shot("failure", check=False)
        raise
    finally:
        walk.close()


def test_a_declined_card_shows_its_reason(
    demo: Demo, browser: Any, shots: Path, api_key: str
) -> None:
    walk = Walk(browser, shots)
    page = walk.page
    try:
        shop_signup(page, demo, f"decline-{secrets.token_hex(4)}@example.com")
        payment = new_payment(demo, api_key, amount=35000)
        open_cashier(page, demo, payment)
        fill_new_card(page, INSUFFICIENT_FUNDS)
        page.locator("#pay-new-card button[type=submit]").click()
        page.wait_for_load_state()
        assert page.url.split("#")[0] == payment["cashier_url"]
        summary = page.locator("#pay-new-card .form-summary")
        assert "insufficient funds" in summary.inner_text()
        # The number and the CVC are never sent back; the name is kept.
        assert page.get_by_label("Card number").input_value() == ""
        assert page.get_by_label("CVC").input_value() == ""
        assert page.get_by_label("Cardholder name").input_value() == "ANNA IVANOVA"
        walk.shot("cashier-declined-en-1280")

        def decline_again() -> None:  # a second decline: the generic reason (card testing)
            fill_new_card(page, INSUFFICIENT_FUNDS)
            page.locator("#pay-new-card button[type=submit]").click()
            page.wait_for_load_state()
            assert (
                "Банк отклонил платёж" in page.locator("#pay-new-card .form-summary").inner_text()
            )

        walk.phone("cashier-declined", then=decline_again)
        state = api(demo, api_key, "GET", f"/payments/{payment['id']}")
        assert state["status"] == "requires_payment_method"
        assert state["failure"]["code"] == "insufficient_funds"  # the decline code
    except Exception:
        walk.shot("failure", check=False)
        raise
    finally:
        walk.close()


def test_five_wrong_payment_passwords_lock_it(
    demo: Demo, registered: Walk, shots: Path, api_key: str
) -> None:
    walk = registered.into(shots)
    page = walk.page
    try:
        payment = new_payment(demo, api_key)
        open_cashier(page, demo, payment)

        def wrong_pin(label: str = "Enter your payment password") -> str:
            page.get_by_label(label).fill(WRONG_PIN)
            page.locator("#pay-saved-card button[type=submit]").click()
            page.wait_for_load_state()
            assert page.get_by_label(label).input_value() == ""  # never sent back
            return str(page.locator("#pay-saved-card").inner_text())

        for left in (4, 3):
            section = wrong_pin()
            assert "The payment password is wrong." in section
            assert f"{left} attempts left before the payment password is locked." in section
        walk.shot("cashier-wrong-pin-en-1280")

        def in_russian() -> None:
            section = wrong_pin("Введите платёжный пароль")
            assert "Неверный платёжный пароль." in section
            assert "Осталось 2 попытки до блокировки платёжного пароля." in section

        walk.phone("cashier-wrong-pin", then=in_russian)
        section = wrong_pin()
        assert "Last attempt: after it the payment password is locked for 3 hours." in section
        walk.shot("cashier-last-attempt-en-1280")
        page.get_by_label("Enter your payment password").fill(WRONG_PIN)
        page.locator("#pay-saved-card button[type=submit]").click()
        page.wait_for_load_state()
        notice = page.locator("#pay-saved-card .notice-error")
        assert "Your payment password is locked until" in notice.inner_text()
        assert notice.get_by_role("link", name="Forgot your payment password?").count() == 1
        assert page.get_by_label("Enter your payment password").is_disabled()
        walk.shot("cashier-locked-en-1280")
        walk.phone("cashier-locked")
        # A new payment does not reset the count: the next cashier is locked too.
        second = new_payment(demo, api_key)
        open_cashier(page, demo, second)
        assert "locked until" in page.locator("#pay-saved-card").inner_text()
        assert api(demo, api_key, "GET", f"/payments/{payment['id']}")["status"] == (
            "requires_payment_method"
        )
    except Exception:
        walk.shot("failure", check=False)
        raise
