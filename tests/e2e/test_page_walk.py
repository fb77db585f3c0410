"""Every page state a buyer can reach, photographed and checked (issue 14, "Done when").

One demo; two buyers, each walking the whole path in one browser context: Russian on a phone
(375 x 812) and English on a laptop (1280 x 900). Each state is saved to
test-output/e2e/walk/<lang>-<nn>-<state>.png and checked at once for
- axe-core: no serious or critical finding (tests/e2e/axe.py);
- no sideways scrolling;
- tap targets: no control under 24 x 24 px (tests/harness/targets.py, WCAG 2.2 2.5.8);
- Russian pages: no English word outside the allow-list (tests/harness/language.py).
A check that fails does not stop the walk: every finding of every state is listed at the end.

The path: the shop signed out (home, product, cart, checkout's sign-in), its sign-up and
e-mail, log-in, password reset, account menu, orders; the wallet's home, e-mail gate,
mailbox, registration, done page, account, cards (empty, add, refused, the bank's challenge
on cardnet, saved, delete), security pages, recovery, support, the cashier (wrong payment
password, receipt), the order paid, the history, the payment-password lock; cardnet's
home; the error pages of the three sites; the sign-out.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.axe import run_axe
from tests.e2e.test_cards import masked
from tests.e2e.test_onboarding import confirmation_link
from tests.harness.demo import Demo
from tests.harness.language import english_words as find_english_words
from tests.harness.leaks import card_number, good_pin
from tests.harness.targets import small_targets as find_small_targets

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-output" / "e2e" / "walk"
PROFILES = {
    "ru": {"viewport": {"width": 375, "height": 812}, "locale": "ru-RU"},
    "en": {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"},
}
PIN = good_pin()
WRONG_PIN = "000000" if PIN != "000000" else "111111"
MARKER = secrets.token_hex(4)
CHALLENGED = "4000000000003220"  # cardnet's documented challenge card (docs/test-cards.md)
CONSENT = re.compile("Authori[sz]e|Allow|Continue|Разрешить|Продолжить")


def small_targets(page: Any) -> list[str]:
    return [str(target) for target in find_small_targets(page)]


def english_words(page: Any) -> list[str]:
    # Code, and text marked as another language (an English e-mail in the mailbox), are not
    # the page's Russian.
    text = page.evaluate(
        """() => { const body = document.body.cloneNode(true);
            body.querySelectorAll('code, [translate=no], [lang]:not([lang=ru])')
                .forEach(e => e.remove());
            document.documentElement.appendChild(body);
            const text = body.innerText; body.remove(); return text; }"""
    )
    attributes = page.evaluate(
        """() => [...document.querySelectorAll('[aria-label],[placeholder],[title],[alt],'
                 + 'input[type=submit],input[type=button]')]
            .flatMap(e => ['aria-label', 'placeholder', 'title', 'alt', 'value']
                .map(a => e.getAttribute(a)).filter(v => v))"""
    )
    return list(find_english_words(text, attributes))


_EN = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_RU = ("один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять", "десять")
NUMBER_WORDS = {word: n for words in (_EN, _RU) for n, word in enumerate(words, 1)}


def answer_challenge(page: Any) -> None:
    """The shop's "are you a person" question, shown after a few sign-ups from one address."""
    if page.locator("#id_challenge_answer").count():
        question = page.locator("label[for=id_challenge_answer]").inner_text().lower()
        numbers = [NUMBER_WORDS[w] for w in re.findall(r"\w+", question) if w in NUMBER_WORDS]
        page.locator("#id_challenge_answer").fill(str(sum(numbers)))


class Walker:
    """One buyer's browser context; ``state(name)`` photographs and checks the page."""

    def __init__(self, browser: Any, language: str) -> None:
        self.language = language
        self.context = browser.new_context(**PROFILES[language])
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.step = 0
        self.findings: list[str] = []
        self.names: list[str] = []

    def state(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()
        self.step += 1
        self.names.append(name)
        label = f"{self.language}-{self.step:02d}-{name}"
        page.screenshot(path=str(OUT / f"{label}.png"), full_page=True)
        width = PROFILES[self.language]["viewport"]["width"]
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            self.findings.append(f"{label}: {scroll} px wide at {width}")
        for violation in run_axe(page)["violations"]:
            if violation["impact"] in ("serious", "critical"):
                self.findings.append(f"{label}: axe {violation['impact']} {violation['id']}")
        for target in small_targets(page):
            self.findings.append(f"{label}: small target {target}")
        if self.language == "ru":
            words = english_words(page)
            if words:
                self.findings.append(f"{label}: English words {words}")

    def t(self, en: str, ru: str) -> str:
        return ru if self.language == "ru" else en

    def submit(self, form: str = "main form") -> None:
        """Press the submit button of the first form matching ``form``."""
        self.page.locator(form).first.locator("button[type=submit]").first.click()
        self.page.wait_for_load_state()

    def through_sign_in(self, shop: str) -> None:
        self.page.wait_for_load_state()
        if self.page.url.startswith(shop) and "/o/authorize" in self.page.url:
            self.page.get_by_role("button", name=CONSENT).click()
            self.page.wait_for_load_state()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def out() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    return OUT


@pytest.fixture
def walker(browser: Any, request: pytest.FixtureRequest) -> Iterator[Walker]:
    walk = Walker(browser, request.param)
    yield walk
    walk.close()


def _shop_part(w: Walker, demo: Demo, address: str) -> None:
    shop, page = demo.urls["marketplace"], w.page
    page.goto(f"{shop}/")
    w.state("shop-home")
    page.goto(f"{shop}/products/travel-backpack/")
    w.state("shop-product")
    w.submit("form[action$='/add/']")
    page.goto(f"{shop}/cart/")
    w.state("shop-cart")
    w.submit("form[action$='/checkout/']")
    w.state("shop-checkout-asks-to-log-in")
    page.goto(f"{shop}/signup/")
    w.state("shop-signup")
    w.submit("main form")
    w.state("shop-signup-errors")
    page.locator("#id_name").fill(w.t("Anna", "Анна"))
    page.locator("#id_email").fill(address)
    page.locator("#id_password").fill("violet-harbour-" + secrets.token_hex(3))
    page.locator("#id_locale").select_option(w.language)
    answer_challenge(page)
    w.submit("main form")
    page.wait_for_url(re.compile(re.escape(f"{shop}/signup/sent/")))
    w.state("shop-signup-sent")
    page.goto(f"{shop}/_dev/mail/")
    w.state("shop-mailbox")
    page.goto(confirmation_link(demo.data_dir / "mail", address, link_path="/signup/confirm/"))
    w.state("shop-signup-confirm")
    w.submit("main form")
    w.state("shop-signed-up")
    page.locator("details.account-menu summary").click()
    w.state("shop-account-menu")
    page.goto(f"{shop}/account/")
    w.state("shop-settings")
    page.goto(f"{shop}/orders/")
    w.state("shop-orders-empty")


def _shop_signed_out_pages(w: Walker, demo: Demo) -> None:
    shop, page = demo.urls["marketplace"], w.page
    ctx = w.context.browser.new_context(**PROFILES[w.language])
    other = ctx.new_page()
    w.page = other
    try:
        other.goto(f"{shop}/login/")
        w.state("shop-login")
        other.locator("#id_username").fill("nobody@example.com")
        other.locator("#id_password").fill("not-the-password-" + MARKER)
        w.submit("main form")
        w.state("shop-login-refused")
        other.goto(f"{shop}/password-reset/")
        w.state("shop-password-reset")
        other.locator("#id_email").fill("nobody@example.com")
        w.submit("main form")
        w.state("shop-password-reset-sent")
        # A form posted without its CSRF cookie: the 403 page.
        other.goto(f"{shop}/login/")
        ctx.clear_cookies()
        other.locator("#id_username").fill("nobody@example.com")
        other.locator("#id_password").fill("not-the-password-" + MARKER)
        w.submit("main form")
        w.state("shop-403-csrf")
    finally:
        w.page = page
        ctx.close()


def _wallet_onboarding(w: Walker, demo: Demo, address: str) -> None:
    shop, wallet, page = demo.urls["marketplace"], demo.urls["wallet"], w.page
    page.goto(f"{wallet}/?platform=zhifu-shop")
    w.state("wallet-home")
    w.submit("main form")
    w.through_sign_in(shop)
    page.wait_for_url(f"{wallet}/confirm-email/")
    w.state("wallet-email-gate")
    w.submit("form:has(#id_email)")
    w.state("wallet-email-sent")
    page.goto(f"{wallet}/_dev/mail/")
    w.state("wallet-mailbox")
    page.locator("main tbody a").first.click()
    page.wait_for_load_state()
    w.state("wallet-mailbox-message")
    page.goto(confirmation_link(demo.data_dir / "mail", address))
    w.state("wallet-registration")
    page.locator("#id_pin").fill("123456")
    page.locator("#id_pin_repeat").fill("654321")
    w.submit("main form")
    w.state("wallet-registration-errors")
    page.locator("#id_pin").fill(PIN)
    page.locator("#id_pin_repeat").fill(PIN)
    for n, (question, answer) in enumerate(
        zip(
            ["first_pet", "birth_city", "favourite_dish"],
            ["Barsik", "Kazan", "Pelmeni"],
            strict=True,
        ),
        start=1,
    ):
        page.locator(f"#id_question_{n}").select_option(question)
        page.locator(f"#id_answer_{n}").fill(f"{answer} {MARKER}")
    w.submit("main form")
    page.wait_for_url(f"{wallet}/registered/")
    w.state("wallet-registered")
    page.goto(f"{wallet}/account/")
    w.state("wallet-account")


def _fill_card(page: Any, number: str, label: str = "") -> None:
    for field in ("#id_number", "#id_expiry"):
        page.locator(field).fill("")
    page.locator("#id_number").press_sequentially(number, delay=5)
    page.locator("#id_expiry").press_sequentially("1230", delay=5)
    page.locator("#id_holder_name").fill("ANNA IVANOVA")
    page.locator("#id_cvc").fill("739")
    if label:
        page.locator("#id_label").fill(label)
    page.locator("#id_payment_password").fill(PIN)


def _cards(w: Walker, demo: Demo) -> None:
    wallet, cardnet, page = demo.urls["wallet"], demo.urls["cardnet"], w.page
    page.goto(f"{wallet}/cards/")
    w.state("wallet-cards-empty")
    page.goto(f"{wallet}/cards/add/")
    w.state("wallet-card-add")
    visa = card_number("4242")
    _fill_card(page, visa[:-1] + str((int(visa[-1]) + 1) % 10))  # fails the Luhn check
    w.submit("main form")
    w.state("wallet-card-add-bad-number")
    _fill_card(page, "4000000000009995")
    w.submit("main form")
    w.state("wallet-card-add-declined")
    _fill_card(page, CHALLENGED, label=w.t("Travel", "Поездки"))
    w.submit("main form")
    page.wait_for_url(re.compile(re.escape(cardnet) + r"/challenge/.+"))
    w.state("cardnet-challenge")
    w.submit("main form")  # the first form confirms
    page.wait_for_url(f"{wallet}/cards/")
    w.state("wallet-cards-one")
    page.goto(f"{wallet}/cards/add/")
    _fill_card(page, visa, label=w.t("Salary", "Зарплатная"))
    w.submit("main form")
    page.wait_for_url(f"{wallet}/cards/")
    assert masked(visa) in page.inner_text("main")
    w.state("wallet-cards-two")
    page.locator("a[href$='/delete/']").first.click()
    page.wait_for_load_state()
    w.state("wallet-card-delete")
    page.locator("#id_payment_password").fill(WRONG_PIN)
    w.submit("main form")
    w.state("wallet-card-delete-wrong-password")
    page.goto(f"{cardnet}/")
    w.state("cardnet-home")


def _security(w: Walker, demo: Demo) -> None:
    wallet, page = demo.urls["wallet"], w.page
    for path, name in (
        ("/account/payment-password/", "wallet-change-payment-password"),
        ("/account/security-questions/", "wallet-change-questions"),
        ("/account/email/", "wallet-change-email"),
        ("/recovery/log/", "wallet-security-log"),
        ("/recovery/support/", "wallet-support"),
        ("/account/forgot-payment-password/", "wallet-forgot-payment-password"),
        ("/recovery/", "wallet-recovery-start"),
    ):
        page.goto(f"{wallet}{path}")
        w.state(name)


def _pay(w: Walker, demo: Demo) -> None:
    shop, wallet, page = demo.urls["marketplace"], demo.urls["wallet"], w.page
    page.goto(f"{shop}/cart/")
    w.state("shop-cart-signed-in")
    w.submit("form[action$='/checkout/']")
    w.through_sign_in(shop)
    page.wait_for_url(re.compile(re.escape(f"{wallet}/pay/pay_") + r"\w+/(#[\w-]*)?$"))
    w.state("wallet-cashier")
    cashier = page.url.split("#")[0]
    page.locator("#pay-saved-card input[type=password]").first.fill(WRONG_PIN)
    w.submit("#pay-saved-card")
    w.state("wallet-cashier-wrong-password")
    page.goto(cashier)
    page.locator("#pay-saved-card input[type=password]").first.fill(PIN)
    w.submit("#pay-saved-card")
    # The default card is the challenged one: its bank asks again on cardnet's page.
    page.wait_for_url(re.compile(re.escape(demo.urls["cardnet"]) + r"/challenge/.+"))
    w.state("cardnet-payment-challenge")
    w.submit("main form")
    page.wait_for_url(re.compile(re.escape(f"{wallet}/pay/") + r"pay_\w+/receipt/"))
    w.state("wallet-receipt")
    page.locator("main a[role=button], main .button").first.click()
    page.wait_for_url(re.compile(re.escape(f"{shop}/orders/") + r".+"))
    page.locator(".payment-paid").wait_for(timeout=60_000)
    w.state("shop-order-paid")
    page.goto(f"{shop}/orders/")
    w.state("shop-orders")
    page.goto(f"{wallet}/pay/history/")
    w.state("wallet-history")
    page.locator("main a[href*='/pay/history/pay_']").first.click()
    page.wait_for_load_state()
    w.state("wallet-history-detail")


def _lock(w: Walker, demo: Demo) -> None:
    """Wrong payment passwords until the lock; the pages it blocks say so."""
    wallet, page = demo.urls["wallet"], w.page
    for attempt in range(5):
        page.goto(f"{wallet}/account/payment-password/")
        if (
            page.locator("#id_current_pin").count() == 0
            or page.locator("#id_current_pin").is_disabled()
        ):
            break
        page.locator("#id_current_pin").fill(WRONG_PIN)
        page.locator("#id_pin").fill(PIN)
        page.locator("#id_pin_repeat").fill(PIN)
        w.submit("main form")
        if attempt == 3:
            w.state("wallet-payment-password-last-try")
        if attempt == 4:  # the answer to the try that locks: the lock said once
            assert (
                page.locator("main").inner_text().count(w.t("locked until", "заблокирован до")) == 1
            )
            w.state("wallet-payment-password-just-locked")
    w.state("wallet-payment-password-locked")
    page.goto(f"{wallet}/cards/add/")
    w.state("wallet-card-add-locked")
    page.goto(f"{wallet}/account/")
    w.state("wallet-account-locked")


def _errors(w: Walker, demo: Demo) -> None:
    page = w.page
    for site in ("marketplace", "wallet", "cardnet"):
        page.goto(f"{demo.urls[site]}/no-such-page/")
        w.state(f"{site}-404")
    try:
        page.goto(f"{demo.urls['marketplace']}/checkout/")  # POST only
    except PlaywrightError as exc:  # an empty body: Chromium's own error page
        w.findings.append(f"marketplace-405: {exc.message.splitlines()[0]}")
    w.state("marketplace-405")
    page.goto(f"{demo.urls['wallet']}/cards/card_nosuchcard00000000000000/delete/")
    w.state("wallet-unknown-card")


def _sign_out(w: Walker, demo: Demo) -> None:
    page = w.page
    page.goto(f"{demo.urls['wallet']}/account/")
    w.submit("form[action$='/logout/']")
    w.state("wallet-signed-out")


@pytest.mark.parametrize("walker", ["ru", "en"], indirect=True)
def test_every_page_state_looks_finished(demo: Demo, walker: Walker, out: Path) -> None:
    address = f"walk-{walker.language}-{secrets.token_hex(4)}@example.com"
    parts: list[Callable[[Walker, Demo], None]] = [
        _shop_signed_out_pages,
        _wallet_onboarding_for(address),
        _cards,
        _security,
        _pay,
        _lock,
        _errors,
        _sign_out,
    ]
    _shop_part(walker, demo, address)
    for part in parts:
        part(walker, demo)
    assert len(walker.names) == len(set(walker.names))
    assert walker.findings == [], "\n".join(walker.findings)


def _wallet_onboarding_for(address: str) -> Callable[[Walker, Demo], None]:
    return lambda w, demo: _wallet_onboarding(w, demo, address)
