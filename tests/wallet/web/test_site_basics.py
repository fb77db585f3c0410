from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.test import Client, override_settings

from zhifu.config.site import config

pytestmark = pytest.mark.django_db(databases=["default", "vault"])  # healthz checks both


def test_healthz_answers_ok_when_the_database_answers(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_does_not(client: Client) -> None:
    with mock.patch.object(
        connection, "cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_every_response_carries_the_security_headers(client: Client) -> None:
    for path in ["/", "/healthz", "/no-such-page"]:
        response = client.get(path)
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"


def test_the_session_cookie_is_the_sites_own(settings: object) -> None:
    from django.conf import settings as s

    assert s.SESSION_COOKIE_NAME == "zhifu_wallet_session"
    assert s.CSRF_COOKIE_NAME == "zhifu_wallet_csrf"
    assert s.SESSION_COOKIE_HTTPONLY


def test_the_language_switch_gives_russian_pages(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert "Один кошелёк для всех магазинов" in response.content.decode()
    assert '<html lang="ru"' in response.content.decode()


def test_the_page_is_english_by_default(client: Client) -> None:
    body = client.get("/").content.decode()
    assert "One wallet for every shop" in body
    assert "pico-2.1.1.min.css" in body


def test_static_files_are_served_by_the_site_itself(client: Client) -> None:
    from django.contrib.staticfiles import finders

    assert finders.find("zhifu/vendor/pico-2.1.1.min.css")
    assert finders.find("zhifu/vendor/htmx-2.0.11.min.js")


@override_settings(EMAIL_BACKEND="zhifu.web.mail.EmlFileBackend")
def test_demo_mail_is_kept_as_eml_files_and_listed(client: Client) -> None:
    sent = mail.send_mail(
        "Confirm your e-mail", "Open http://localhost/x", None, ["buyer@example.com"]
    )
    assert sent == 1
    files = list(Path(config().mail_dir).glob("*.eml"))
    assert files
    listing = client.get("/_dev/mail/").content.decode()
    assert "Confirm your e-mail" in listing
    assert 'class="flash"' not in listing  # the list is not taken for flash messages
    newest = sorted(files)[-1].name
    page = client.get(f"/_dev/mail/{newest}").content.decode()
    assert "buyer@example.com" in page
    assert '<a href="http://localhost/x"' in page


@override_settings(EMAIL_BACKEND="zhifu.web.mail.EmlFileBackend")
@pytest.mark.parametrize(("header", "lang"), [("ru", ' lang="ru"'), ('en" onclick="x', "")])
def test_demo_mailbox_marks_the_language_of_each_message(
    client: Client, header: str, lang: str
) -> None:
    """WCAG 3.1.2: a Russian e-mail listed on an English page is marked as Russian."""
    mail.EmailMessage(
        "Подтвердите адрес", "Текст", to=["buyer@example.com"], headers={"Content-Language": header}
    ).send()
    newest = sorted(Path(config().mail_dir).glob("*.eml"))[-1].name
    listing = client.get("/_dev/mail/").content.decode()
    assert f'<a href="/_dev/mail/{newest}"{lang}>Подтвердите адрес</a>' in listing
    page = client.get(f"/_dev/mail/{newest}").content.decode()
    assert f'<h1 class="mail-subject"{lang}>Подтвердите адрес</h1>' in page
    assert "onclick" not in page


@pytest.mark.parametrize("name", ["../secrets/pepper", "x.eml", "20260101T000000-AAAA.eml"])
def test_demo_mailbox_refuses_other_files(client: Client, name: str) -> None:
    assert client.get(f"/_dev/mail/{name}").status_code == 404


def test_sqlite_runs_in_wal_mode() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


@override_settings(EMAIL_BACKEND="zhifu.web.mail.EmlFileBackend")
def test_demo_mailbox_shows_the_html_part_in_a_sandboxed_frame(client: Client) -> None:
    message = mail.EmailMultiAlternatives("Hi", "Open: http://localhost/x", to=["b@example.com"])
    message.attach_alternative(
        '<html><head></head><body><p onclick="steal()">Hi <a href="http://localhost/x">'
        "Open</a></p><script>steal()</script></body></html>",
        "text/html",
    )
    message.send()
    newest = sorted(Path(config().mail_dir).glob("*.eml"))[-1].name
    page = client.get(f"/_dev/mail/{newest}").content.decode()
    assert (
        f'<iframe class="mail-html" src="/_dev/mail/{newest}/html" '
        'sandbox="allow-top-navigation-by-user-activation"'
    ) in page
    assert "steal()" not in page  # the HTML is only ever in the frame
    assert '<a href="http://localhost/x"' in page  # the text part, links clickable
    frame = client.get(f"/_dev/mail/{newest}/html")
    csp = frame.headers["Content-Security-Policy"]
    # No script runs in it (sandbox, and no script-src), it loads nothing from anywhere.
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert "sandbox allow-top-navigation-by-user-activation" in csp
    assert "frame-ancestors 'self'" in csp
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert '<head><base target="_top">' in frame.content.decode()


@override_settings(EMAIL_BACKEND="zhifu.web.mail.EmlFileBackend")
def test_a_plain_text_message_has_no_html_view(client: Client) -> None:
    mail.send_mail("Hi", "Text only", None, ["b@example.com"])
    newest = sorted(Path(config().mail_dir).glob("*.eml"))[-1].name
    assert "<iframe" not in client.get(f"/_dev/mail/{newest}").content.decode()
    assert client.get(f"/_dev/mail/{newest}/html").status_code == 404
    assert client.get("/_dev/mail/../secrets/pepper/html").status_code == 404


@override_settings(EMAIL_BACKEND="zhifu.web.mail.EmlFileBackend")
def test_demo_mailbox_is_in_the_wallets_layout_and_stacks_on_a_phone(client: Client) -> None:
    mail.send_mail("Confirm your e-mail", "Text", None, ["buyer@example.com"])
    listing = client.get("/_dev/mail/").content.decode()
    assert "accounts/wallet.css" in listing  # the wallet's layout, not the bare one
    assert '<table class="mailbox">' in listing  # zhifu.css stacks it under 576 px
    assert '<td data-label="Date">' in listing
    newest = sorted(Path(config().mail_dir).glob("*.eml"))[-1].name
    assert "accounts/wallet.css" in client.get(f"/_dev/mail/{newest}").content.decode()
