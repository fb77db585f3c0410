"""Settings → "Change my password" (issue 14, P25): the current password and a new one for
a signed-in buyer, not the e-mail reset."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from tests.marketplace.conftest import PASSWORD
from zhifu.marketplace.models import Buyer
from zhifu.marketplace.views import PASSWORD_CHANGE_TRIES

pytestmark = pytest.mark.django_db

NEW = "granite-otter-maple-42"


def change(client: Client, current: str, new: str = NEW, repeat: str | None = None) -> object:
    return client.post(
        "/account/password/",
        {"old_password": current, "new_password1": new, "new_password2": repeat or new},
    )


def test_settings_link_to_the_change_form_not_the_reset(signed_in: Client) -> None:
    html = signed_in.get("/account/").content.decode()
    assert 'href="/account/password/">Change my password</a>' in html
    form = signed_in.get("/account/password/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Текущий пароль" in form
    assert 'autocomplete="current-password"' in form
    assert 'autocomplete="new-password"' in form


def test_the_password_changes_and_the_session_stays(signed_in: Client, buyer: Buyer) -> None:
    other = Client()
    other.force_login(buyer, backend="django.contrib.auth.backends.ModelBackend")
    response = change(signed_in, PASSWORD)
    assert response["Location"] == "/account/"
    buyer.refresh_from_db()
    assert buyer.check_password(NEW)
    assert "Your password was changed." in signed_in.get("/account/").content.decode()
    assert other.get("/account/").status_code == 302  # the buyer's other sessions end
    assert mail.outbox == []  # no detour through the e-mail reset


def test_a_wrong_current_password_is_said_beside_it_and_nothing_changes(
    signed_in: Client, buyer: Buyer
) -> None:
    response = change(signed_in, "not-my-password")
    html = response.content.decode()
    assert response.status_code == 200
    assert "This is not your current password. Type it again." in html
    assert "not-my-password" not in html
    assert NEW not in html
    buyer.refresh_from_db()
    assert buyer.check_password(PASSWORD)


def test_guessing_the_current_password_signs_the_session_out(
    signed_in: Client, buyer: Buyer
) -> None:
    for _ in range(PASSWORD_CHANGE_TRIES - 1):
        assert change(signed_in, "guess").status_code == 200
    response = change(signed_in, "guess")
    assert response["Location"] == "/login/"
    assert signed_in.get("/account/password/").status_code == 302  # signed out
    buyer.refresh_from_db()
    assert buyer.check_password(PASSWORD)


def test_a_weak_new_password_is_refused(signed_in: Client, buyer: Buyer) -> None:
    response = change(signed_in, PASSWORD, new="12345678")
    assert response.status_code == 200
    buyer.refresh_from_db()
    assert buyer.check_password(PASSWORD)


def test_signed_out_the_form_asks_to_log_in(client: Client) -> None:
    assert client.get("/account/password/")["Location"].startswith(
        "/login/?next=/account/password/"
    )
