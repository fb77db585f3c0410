"""The buyer's path into the wallet (docs/wallet-onboarding.md), end to end in a real browser:

shop sign-up → the sign-up e-mail's link → login → "My account" → "My wallet" → "Go to my
wallet" → SSO → confirm the e-mail (links read from the demo mailbox) → registration form →
"Registration complete" → account page with the balance notice. A screenshot of each page goes to
test-output/e2e/<test>/. Any broken step fails the test.
"""

from __future__ import annotations

import email
import email.policy
import re
import secrets
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible, settle
from tests.harness.demo import Demo
from tests.harness.leaks import good_pin

pytestmark = pytest.mark.slow

BALANCE_NOTICE = (
    "The balance cannot be used: top-ups and payments from the balance are switched off."
)


def confirmation_link(
    mail_dir: Path, address: str, timeout: float = 15, link_path: str = "/confirm-email/"
) -> str:
    """The newest confirmation link sent to address, from the demo's .eml files (the
    wallet's, or with ``link_path="/signup/confirm/"`` the shop's sign-up link)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.eml"), reverse=True):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address not in str(msg["To"]):
                continue
            body = msg.get_body(preferencelist=("plain",))
            text = str(body.get_content()) if body is not None else ""
            match = re.search(rf"https?://\S+{re.escape(link_path)}[\w-]+/", text)
            if match:
                return match.group(0)
        time.sleep(0.25)
    raise AssertionError(f"no confirmation e-mail to {address} in {mail_dir}")


def wait_for_mail(mail_dir: Path, address: str, subject: str, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in mail_dir.glob("*.eml"):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address in str(msg["To"]) and str(msg["Subject"]) == subject:
                return True
        time.sleep(0.25)
    return False


def test_buyer_goes_from_shop_sign_up_to_the_wallet_account(
    demo: Demo, browser: Any, shots: Path
) -> None:
    shop, wallet = demo.urls["marketplace"], demo.urls["wallet"]
    address = f"e2e-{secrets.token_hex(4)}@example.com"
    password = "violet-harbour-" + secrets.token_hex(3)
    # Canaries for the leak scan (tests/harness/leaks.py): new in every run.
    marker, pin = secrets.token_hex(4), good_pin()
    answers = [f"Barsik {marker}", f"Kazan {marker}", f"Pelmeni {marker}"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    step = 0

    def shot(name: str) -> None:
        nonlocal step
        step += 1
        page.screenshot(path=str(shots / f"{step:02d}-{name}.png"), full_page=True)

    try:
        # 1. Shop sign-up.
        page.goto(f"{shop}/signup/")
        page.get_by_label("Name").fill("E2E Buyer")
        page.get_by_label("E-mail").fill(address)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_label("Language").select_option("en")
        shot("shop-signup")
        assert_accessible(page, "shop-signup")
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url(f"{shop}/signup/sent/")
        shot("shop-signup-sent")
        assert_accessible(page, "shop-signup-sent")
        # The e-mail's link finishes the sign-up and signs the buyer in.
        page.goto(confirmation_link(demo.data_dir / "mail", address, link_path="/signup/confirm/"))
        shot("shop-signup-confirm")
        assert_accessible(page, "shop-signup-confirm")
        page.get_by_role("button", name="Create my account").click()
        page.wait_for_url(f"{shop}/")
        assert "Welcome! Your shop account is ready." in page.locator("main").inner_text()
        shot("shop-signed-up")
        assert_accessible(page, "shop-catalogue")

        # 2. Log out and log in again through the shop's login page.
        page.locator("details.account-menu summary").click()
        page.get_by_role("button", name="Log out").click()
        page.wait_for_load_state()
        page.goto(f"{shop}/login/")
        page.get_by_label("E-mail").fill(address)
        page.get_by_label("Password", exact=True).fill(password)
        shot("shop-login")
        assert_accessible(page, "shop-login")
        page.locator("main").get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        page.goto(f"{shop}/orders/")
        shot("shop-orders")
        assert_accessible(page, "shop-orders")

        # 3. "My account" → "My wallet".
        page.locator("details.account-menu summary").click()
        settle(page)  # the menu fades in
        shot("shop-my-account-menu")
        assert_accessible(page, "shop-account-menu-open")
        page.get_by_role("link", name="My wallet").click()
        page.wait_for_url(f"{wallet}/?platform=zhifu-shop")  # the shop preselects itself

        # 4. Wallet home: one big button, no registration button.
        assert page.get_by_role("button", name="Go to my wallet").count() == 1
        assert "regist" not in page.locator("main").inner_text().lower()
        shot("wallet-home")
        assert_accessible(page, "wallet-home")
        page.get_by_role("button", name="Go to my wallet").click()

        # 5. SSO at the shop (already signed in there): consent if the shop asks for it.
        page.wait_for_load_state()
        if page.url.startswith(shop):
            shot("shop-authorize")
            assert_accessible(page, "shop-authorize")
            page.get_by_role("button", name=re.compile("Authori[sz]e|Allow|Continue")).click()
        page.wait_for_url(f"{wallet}/confirm-email/")

        # 6. E-mail gate: the shop's address pre-filled.
        email_field = page.get_by_label("E-mail")
        assert email_field.input_value() == address
        # Below it, the offer to connect this shop to a wallet made through another shop.
        assert page.get_by_role("heading", name="Connect this shop to your wallet").count() == 1
        assert page.get_by_label("Address confirmed at your wallet").input_value() == address
        shot("wallet-email-gate")
        assert_accessible(page, "wallet-email-gate")
        page.get_by_role("button", name="Send confirmation e-mail").click()
        page.wait_for_load_state()
        notice = page.locator(".notice-success")
        assert f"We sent a confirmation e-mail to {address}." in notice.inner_text()
        assert (
            page.get_by_role("button", name="Open my mailbox").count()
            + page.get_by_role("link", name="Open my mailbox").count()
            == 1
        )
        assert page.get_by_role("button", name="Send again").count() == 1
        shot("wallet-email-sent")
        assert_accessible(page, "wallet-email-sent")

        # The mailbox page lists the message too.
        page.goto(f"{wallet}/_dev/mail/")
        shot("demo-mailbox")
        assert_accessible(page, "demo-mailbox")
        link = confirmation_link(demo.data_dir / "mail", address)
        assert link.startswith(f"{wallet}/confirm-email/")

        # 7. Registration form opened by the link.
        page.goto(link)
        assert page.get_by_role("heading", name="Registration").count() == 1
        shot("wallet-registration-form")
        assert_accessible(page, "wallet-registration-form")
        page.set_viewport_size({"width": 375, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        shot("wallet-registration-form-375")
        assert_accessible(page, "wallet-registration-form-375")
        page.set_viewport_size({"width": 1280, "height": 900})
        # A weak PIN first: the error shows beside the field and the answers are kept.
        page.get_by_label("Payment password", exact=True).fill("123456")
        page.get_by_label("Repeat payment password").fill("123456")
        for n, (question, answer) in enumerate(
            zip(["first_pet", "birth_city", "favourite_dish"], answers, strict=True),
            start=1,
        ):
            page.locator(f"#id_question_{n}").select_option(question)
            page.locator(f"#id_answer_{n}").fill(answer)
        page.get_by_role("button", name="Complete registration").click()
        page.wait_for_load_state()
        assert "do not use digits in a row" in page.locator("#id_pin_error").inner_text()
        assert page.locator("#id_answer_2").input_value() == answers[1]
        assert page.get_by_label("Payment password", exact=True).input_value() == ""
        shot("wallet-registration-error")
        assert_accessible(page, "wallet-registration-error")
        page.get_by_label("Payment password", exact=True).fill(pin)
        page.get_by_label("Repeat payment password").fill(pin)
        page.get_by_role("button", name="Complete registration").click()

        # 8. Registration complete → account page with the balance notice.
        page.wait_for_url(f"{wallet}/registered/")
        assert page.get_by_role("heading", name="Registration complete").count() == 1
        shot("wallet-registration-complete")
        assert_accessible(page, "wallet-registration-complete")
        page.get_by_role("button", name="Go to my account").click()
        page.wait_for_url(f"{wallet}/account/")
        assert BALANCE_NOTICE in page.locator("main").inner_text()
        assert page.locator("main").get_by_role("link", name="Bank cards").count() == 1
        # The wallet's menu (issue 14, P7) leads there too.
        menu = page.get_by_role("navigation", name="Wallet")
        assert menu.get_by_role("link", name="Bank cards").count() == 1
        shops = page.locator("#shops").inner_text()
        assert "Connected shops" in shops
        assert "You are signed in through this shop." in shops
        shot("wallet-account")
        assert_accessible(page, "wallet-account")
        # The worker delivers the "registration complete" e-mail through the outbox.
        assert wait_for_mail(demo.data_dir / "mail", address, "Your zhifu wallet is ready")

        # The same pages are readable at 375 px: no horizontal scrolling.
        page.set_viewport_size({"width": 375, "height": 800})
        for path, name in [("/account/", "wallet-account-375"), (link, "wallet-used-link-375")]:
            page.goto(path if path.startswith("http") else wallet + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{name}: {width}px wide"
            shot(name)
            assert_accessible(page, name)
        assert "This link has already been used." in page.locator("main").inner_text()
    except Exception:
        shot("failure")
        raise
    finally:
        context.close()


def test_wallet_pages_in_russian(demo: Demo, browser: Any, shots: Path) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="ru-RU")
    page = context.new_page()
    try:
        page.goto(demo.urls["wallet"] + "/")
        assert page.get_by_role("button", name="Перейти в мой кошелёк").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(shots / "01-wallet-home-ru-375.png"), full_page=True)
        assert_accessible(page, "wallet-home-ru-375")
    finally:
        context.close()
