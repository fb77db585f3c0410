"""The simulated issuer challenge (3-D Secure-like): its signed tokens (the page: views.py).

The challenge URL carries a signed (not secret) token naming the verification or the
authorization, the return address and what the page shows (the card's scheme and last four
digits, who asks) (a verification's challenge keeps no state; an
authorization's answer is recorded by services.answer_challenge). The answer sent back to
the wallet is signed with the challenge key cardnet shares with the wallet
(ZHIFU_CARDNET_CHALLENGE_KEY, with its fallbacks during a rotation), so the wallet can
trust it without calling cardnet again. Not with the API key: whoever can read the bearer
key must not be able to forge an "approved". Both tokens expire after 15 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.urls import reverse

from zhifu.cardnet import domain
from zhifu.config.site import config
from zhifu.kernel import signing

CHALLENGE_SALT = "zhifu.cardnet.challenge"
# The wallet's connector checks answers under the same salt (a test compares the two).
RESULT_SALT = "zhifu.cardnet.challenge-result"
MAX_AGE_S = int(domain.CHALLENGE_MAX_AGE.total_seconds())  # an open challenge's life too


def signer(salt: str) -> signing.Signer:
    cfg = config()
    return signing.Signer(
        cfg.secret("cardnet_challenge_key").reveal(),
        cfg.secret_fallbacks("cardnet_challenge_key"),
        salt=salt,
    )


def allowed_return(url: str) -> bool:
    """Only the wallet's own address: cardnet is never an open redirect."""
    wallet = urlsplit(config().urls["wallet"])
    target = urlsplit(url)
    return (target.scheme, target.netloc) == (wallet.scheme, wallet.netloc) and not (
        target.username or target.password
    )


@dataclass(frozen=True)
class Shown:
    """What the challenge page shows the buyer besides the amount: the card's scheme and
    last four digits (never more of it) and who asks. Carried in the page's signed token,
    since a verification keeps no record."""

    scheme: str = ""
    last4: str = ""
    merchant: str = ""


def url_for(reference: str, return_url: str, shown: Shown | None = None) -> str:
    """The page that asks about ``reference`` (a verification or an authorization)."""
    shown = shown or Shown()
    data = {"id": reference, "return": return_url, "scheme": shown.scheme,
            "last4": shown.last4, "merchant": shown.merchant}  # fmt: skip
    token = signer(CHALLENGE_SALT).dumps(data)
    return config().urls["cardnet"] + reverse("challenge", args=[token])


def load(token: str) -> dict[str, Any] | None:
    """What a challenge page's token names, or None if forged, expired or misdirected."""
    try:
        data = signer(CHALLENGE_SALT).loads(token, max_age=MAX_AGE_S)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not allowed_return(str(data.get("return", ""))):
        return None
    return data


def shown(data: dict[str, Any]) -> Shown:
    """What a loaded token says to show (tokens made before it say nothing)."""
    return Shown(
        str(data.get("scheme") or ""), str(data.get("last4") or ""), str(data.get("merchant") or "")
    )


def is_authorization(data: dict[str, Any]) -> bool:
    """Whether the challenge is a payment's (ids name what they are: "auth_…")."""
    return str(data["id"]).startswith("auth_")


def answer_url(data: dict[str, Any], confirmed: bool) -> str:
    """Where the buyer goes back to: the wallet's return URL with the signed answer."""
    result = "approved" if confirmed else "declined"
    answer = signer(RESULT_SALT).dumps({"id": data["id"], "result": result})
    separator = "&" if "?" in data["return"] else "?"
    return data["return"] + separator + urlencode({"result": answer})
