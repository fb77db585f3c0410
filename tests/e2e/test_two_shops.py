"""Two shops, one wallet (issue 10), end to end in a real browser against `zhifu demo`.

The demo's second shop, Bazaar (127.0.0.3), is the reference shop's code with its own name,
look, database and OpenID provider, registered at the wallet as a second platform.

- A buyer registers in the wallet through the first shop, signs up at Bazaar with the same
  address and connects Bazaar to the same wallet by the owner's proof: the link e-mailed to
  the wallet's confirmed address, then the wallet's payment password. The account page then
  lists both shops, and either shop opens the same wallet.
- A Bazaar account that merely claims a victim's address reaches nothing of the victim's
  wallet: no cards, no balance, no connection without the link from the victim's mailbox
  (and not with it either, without the payment password), and never the victim's session.

Bazaar, like the first shop, e-mails a sign-up link before it creates an account; the
attacker below takes it from the demo's shared mailbox, standing in for a shop that never
checks addresses. Screenshots go to test-output/e2e/<test>/.
"""

from __future__ import annotations

import base64
import email
import email.policy
import re
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible, settle
from tests.e2e.test_cards import PIN, add_card, masked, register_buyer
from tests.e2e.test_onboarding import confirmation_link, wait_for_mail
from tests.harness.demo import Demo
from tests.harness.leaks import card_number

pytestmark = pytest.mark.slow

FIRST_ACCENT, BAZAAR_ACCENT = "#0172ad", "#a3341b"  # Pico's blue; ZHIFU_SHOP_ACCENT of Bazaar


class Shots:
    """Numbered full-page screenshots of one page, plus named ones of a part of it."""

    def __init__(self, page: Any, folder: Path) -> None:
        self.page, self.folder, self.step = page, folder, 0

    def __call__(self, name: str) -> Path:
        self.step += 1
        path = self.folder / f"{self.step:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def top(self, name: str, height: int = 600) -> Path:
        """The top of the page: the header, the heading and the first row of products."""
        path = self.folder / f"{name}.png"
        width = self.page.viewport_size["width"]
        self.page.screenshot(
            path=str(path), clip={"x": 0, "y": 0, "width": width, "height": height}
        )
        return path


def side_by_side(browser: Any, images: list[tuple[str, Path]], out: Path) -> None:
    """One picture of several screenshots, one above the other, each with its caption."""
    page = browser.new_page(viewport={"width": 1280, "height": 400})
    rows = "".join(
        f"<figure><figcaption>{caption}</figcaption>"
        f'<img src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}">'
        "</figure>"
        for caption, path in images
    )
    page.set_content(
        "<style>body{margin:0;padding:12px;background:#eef0f3;font:14px sans-serif}"
        "figure{margin:0 0 12px;background:#fff;border:1px solid #c9ced6}"
        "figcaption{padding:6px 10px;color:#444}img{display:block;width:100%}</style>" + rows
    )
    page.screenshot(path=str(out), full_page=True)
    page.close()


def primary_colour(page: Any) -> str:
    return str(
        page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--pico-primary')"
        )
    ).strip()


def shop_sign_up(page: Any, shop: str, mail_dir: Path, address: str, name: str) -> None:
    """Sign up at a shop and open its e-mailed link: the buyer is signed in there."""
    page.goto(f"{shop}/signup/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("E-mail").fill(address)
    page.get_by_label("Password", exact=True).fill("copper-meadow-" + secrets.token_hex(3))
    page.get_by_label("Language").select_option("en")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{shop}/signup/sent/")
    link = confirmation_link(mail_dir, address, link_path="/signup/confirm/")
    assert link.startswith(f"{shop}/signup/confirm/"), link
    page.goto(link)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"{shop}/")


def to_wallet_through(page: Any, shop: str, wallet: str, slug: str) -> None:
    """The shop's "My account" → "My wallet" → "Go to my wallet": SSO at that shop."""
    page.locator("details.account-menu summary").click()
    settle(page)
    page.get_by_role("link", name="My wallet").click()
    page.wait_for_url(f"{wallet}/?platform={slug}")  # the shop preselects itself
    page.get_by_role("button", name="Go to my wallet").click()
    page.wait_for_load_state()
    if page.url.startswith(shop):  # a consent page, if the shop asked for one
        page.get_by_role("button", name=re.compile("Authori[sz]e|Allow|Continue")).click()


def mail_links(mail_dir: Path, address: str, prefix: str) -> list[str]:
    """Every link starting with prefix in the demo's e-mails to address."""
    found = []
    for path in sorted(mail_dir.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        if address in str(msg["To"]) and body is not None:
            found += re.findall(rf"{re.escape(prefix)}[\w-]+/", str(body.get_content()))
    return found


def test_a_buyer_connects_the_second_shop_to_the_wallet_by_the_owners_proof(
    demo: Demo, browser: Any, shots: Path
) -> None:
    shop, bazaar, wallet = demo.urls["marketplace"], demo.urls["bazaar"], demo.urls["wallet"]
    mail_dir = demo.data_dir / "mail"
    address = f"two-shops-{secrets.token_hex(4)}@example.com"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)
    shot = Shots(page, shots)
    try:
        # 1. A wallet made through the first shop (e-mail confirmed, payment password set).
        register_buyer(page, demo, address)
        page.goto(f"{shop}/")
        assert primary_colour(page) == FIRST_ACCENT
        first_top = shot.top("top-zhifu-shop")
        page.goto(f"{wallet}/account/")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{wallet}/")

        # 2. The same address at Bazaar: another shop, another look, another account.
        shop_sign_up(page, bazaar, mail_dir, address, "Two Shops Buyer")
        assert page.get_by_role("heading", name="Welcome to Bazaar").count() == 1
        assert page.locator("header .brand strong").inner_text() == "Bazaar"
        assert page.locator("header .brand img").get_attribute("src").endswith("/bazaar.svg")
        assert primary_colour(page) == BAZAAR_ACCENT
        second_top = shot.top("top-bazaar")
        shot("bazaar-home")
        assert_accessible(page, "bazaar-home")
        side_by_side(
            browser,
            [("zhifu shop, http://127.0.0.1", first_top), ("Bazaar, http://127.0.0.3",
             second_top)],
            shots / "two-shops.png",
        )  # fmt: skip

        # 3. Through Bazaar into the wallet: a new shop account never joins a wallet on its
        # e-mail claim, so it lands at the gate, which offers to connect it.
        to_wallet_through(page, bazaar, wallet, "bazaar")
        page.wait_for_url(f"{wallet}/confirm-email/")
        assert "via Bazaar" in page.locator("header.site-header").inner_text()
        assert page.get_by_role("heading", name="Connect this shop to your wallet").count() == 1
        assert page.get_by_label("Address confirmed at your wallet").input_value() == address
        shot("wallet-gate-through-bazaar")
        assert_accessible(page, "wallet-gate-through-bazaar")
        page.get_by_role("button", name="E-mail me a link to connect").click()
        page.wait_for_load_state()
        assert (
            f"If a wallet has confirmed {address}, we sent a link there to connect this shop."
            in page.locator("#connect").inner_text()
        )

        # 4. The link from the wallet owner's mailbox, then the wallet's payment password.
        link = confirmation_link(mail_dir, address, link_path="/connect/")
        assert link.startswith(f"{wallet}/connect/")
        page.goto(link)
        assert page.get_by_role("heading", name="Connect this shop").count() == 1
        main = page.locator("main").inner_text()
        assert f"Connect your account at Bazaar to the wallet of {address}." in main
        shot("wallet-connect-shop")
        assert_accessible(page, "wallet-connect-shop")
        wrong = next(p for p in ("135792", "246813") if p != PIN)
        page.get_by_label("Payment password").fill(wrong)
        page.get_by_role("button", name="Connect the shop").click()
        page.wait_for_load_state()
        assert "The shop was not connected." in page.locator("main").inner_text()
        shot("wallet-connect-wrong-password")
        assert_accessible(page, "wallet-connect-wrong-password")
        page.get_by_label("Payment password").fill(PIN)
        page.get_by_role("button", name="Connect the shop").click()

        # 5. The account page lists both shops; the owner is told by e-mail.
        page.wait_for_url(f"{wallet}/account/#shops")
        shops = page.locator("#shops")
        names = shops.locator(".shop-list li strong").all_inner_texts()
        assert names == ["zhifu shop", "Bazaar"]
        bazaar_row = shops.locator(".shop-list li").filter(has_text="Bazaar")
        assert "You are signed in through this shop." in bazaar_row.inner_text()
        assert shops.get_by_role("button", name="Remove zhifu shop").count() == 1
        assert "via Bazaar" in page.locator("header.site-header").inner_text()
        page.locator("#shops").scroll_into_view_if_needed()
        shot("wallet-account-two-shops")
        assert_accessible(page, "wallet-account-two-shops")
        assert wait_for_mail(mail_dir, address, "Bazaar was connected to your zhifu wallet")
        # The link worked once.
        page.goto(link)
        assert "This link has already been used." in page.locator("main").inner_text()

        # 6. Either shop now opens this wallet: sign out, come back through the first one.
        page.goto(f"{wallet}/account/")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{wallet}/")
        page.goto(f"{shop}/")
        to_wallet_through(page, shop, wallet, "zhifu-shop")
        page.wait_for_url(f"{wallet}/account/")
        names = page.locator("#shops .shop-list li strong").all_inner_texts()
        assert names == ["zhifu shop", "Bazaar"]
        assert "via zhifu shop" in page.locator("header.site-header").inner_text()
    except Exception:
        shot("failure")
        raise
    finally:
        context.close()


def test_a_second_shop_account_claiming_a_victims_address_reaches_nothing_of_the_wallet(
    demo: Demo, browser: Any, shots: Path
) -> None:
    bazaar, wallet = demo.urls["bazaar"], demo.urls["wallet"]
    mail_dir = demo.data_dir / "mail"
    victim = f"victim-{secrets.token_hex(4)}@example.com"
    card = card_number("4242")

    # The victim: a wallet made through the first shop, with a saved card.
    victim_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    victim_page = victim_context.new_page()
    victim_page.set_default_timeout(20_000)
    register_buyer(victim_page, demo, victim)
    victim_page.locator("main").get_by_role("link", name="Bank cards").click()
    victim_page.get_by_role("button", name="Add card").click()
    add_card(victim_page, card, label="Victim")
    victim_page.get_by_role("button", name="Save card").click()
    victim_page.wait_for_url(f"{wallet}/cards/")
    assert masked(card) in victim_page.inner_text("main")

    # The attacker: a Bazaar account with the victim's address, in a browser of their own.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)
    shot = Shots(page, shots)
    confirmations = len(mail_links(mail_dir, victim, f"{wallet}/confirm-email/"))
    try:
        shop_sign_up(page, bazaar, mail_dir, victim, "Not The Owner")
        to_wallet_through(page, bazaar, wallet, "bazaar")

        # A wallet user of its own, held at the gate: nothing of the victim's.
        page.wait_for_url(f"{wallet}/confirm-email/")
        shot("attacker-at-the-gate")
        for path in ("/account/", "/cards/", "/cards/add/"):
            page.goto(wallet + path)
            assert page.url == f"{wallet}/confirm-email/", path
            text = page.content()
            assert masked(card) not in text
            assert "Bank cards" not in text
            assert "The balance cannot be used" not in text

        # Asking to connect: the link goes to the victim's mailbox, not to the attacker, and
        # the page says the same whether or not a wallet has the address.
        page.get_by_role("button", name="E-mail me a link to connect").click()
        page.wait_for_load_state()
        assert (
            f"If a wallet has confirmed {victim}, we sent a link there to connect this shop."
            in page.locator("#connect").inner_text()
        )
        assert wait_for_mail(mail_dir, victim, "Connect Bazaar to your zhifu wallet?")
        # No confirmation link was sent for the victim's address (that would confirm it).
        assert len(mail_links(mail_dir, victim, f"{wallet}/confirm-email/")) == confirmations
        # Without the link: a guessed one connects nothing.
        page.goto(f"{wallet}/connect/{secrets.token_urlsafe(32)}/")
        assert "This link is not valid." in page.locator("main").inner_text()
        shot("attacker-guessed-link")
        # With the link from the victim's mailbox but without the payment password: refused.
        (link,) = mail_links(mail_dir, victim, f"{wallet}/connect/")
        page.goto(link)
        page.get_by_label("Payment password").fill(next(p for p in ("135792", "246813")
                                                        if p != PIN))  # fmt: skip
        page.get_by_role("button", name="Connect the shop").click()
        page.wait_for_load_state()
        assert "The shop was not connected." in page.locator("main").inner_text()
        shot("attacker-wrong-payment-password")

        # The victim opening that link in their own browser connects nothing either: it is
        # bound to the session that asked for it.
        victim_page.goto(link)
        assert "This link was made for another shop account." in victim_page.inner_text("main")
        victim_page.goto(f"{wallet}/account/")
        assert victim_page.locator("#shops .shop-list li strong").all_inner_texts() == [
            "zhifu shop"
        ]

        # And the attacker is still nobody: never signed in as the victim.
        page.goto(f"{wallet}/account/")
        assert page.url == f"{wallet}/confirm-email/"
        assert masked(card) not in page.content()
        shot("attacker-still-at-the-gate")
    except Exception:
        shot("failure")
        raise
    finally:
        context.close()
        victim_context.close()
