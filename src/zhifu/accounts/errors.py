"""The refusals of the wallet's entry (sign-in, e-mail gate, registration): every code in
one place. Pages show ``refusal.message``; each number in a message comes from
``accounts.domain``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zhifu.accounts import domain
from zhifu.kernel.errors import Codes, Refusal


class AccountsCode(Codes):
    SEND_COOLDOWN = "send_cooldown"
    SEND_HOURLY = "send_hourly"
    EMAIL_TAKEN = "email_taken"
    EMAIL_UNCHANGED = "email_unchanged"
    LINK_UNKNOWN = "link_unknown"
    LINK_USED = "link_used"
    LINK_EXPIRED = "link_expired"
    LINK_OTHER_ACCOUNT = "link_other_account"
    LINK_ALREADY_CONFIRMED = "link_already_confirmed"
    CONNECT_LINK_UNKNOWN = "connect_link_unknown"
    CONNECT_LINK_USED = "connect_link_used"
    CONNECT_LINK_EXPIRED = "connect_link_expired"
    CONNECT_LINK_OTHER_ACCOUNT = "connect_link_other_account"
    CONNECT_NOT_STRANDED = "connect_not_stranded"
    SHOP_UNKNOWN = "shop_unknown"
    SHOP_IN_USE = "shop_in_use"
    SIGN_IN_FAILED = "sign_in_failed"
    ACCOUNT_INACTIVE = "account_inactive"


class AccountsRefusal(Refusal):
    code = "accounts_refused"


# --- the e-mail gate ----------------------------------------------------------------------


class SendLimited(AccountsRefusal):
    """Another confirmation e-mail may not go out yet; ``refused`` says how long to wait."""

    http_status = 429

    def __init__(self, refused: domain.SendRefused) -> None:
        super().__init__(wait_seconds=refused.wait_seconds)
        self.refused = refused

    @staticmethod
    def of(refused: domain.SendRefused) -> SendLimited:
        return (SendCooldown if refused.reason == "cooldown" else SendHourly)(refused)


class SendCooldown(SendLimited):
    code = AccountsCode.SEND_COOLDOWN

    @property
    def message(self) -> str:
        seconds = self.refused.wait_seconds
        return ngettext(
            "Please wait %(seconds)d second before sending the e-mail again.",
            "Please wait %(seconds)d seconds before sending the e-mail again.",
            seconds,
        ) % {"seconds": seconds}


class SendHourly(SendLimited):
    code = AccountsCode.SEND_HOURLY

    @property
    def message(self) -> str:
        limit = domain.RESENDS_PER_HOUR
        minutes = max(1, (self.refused.wait_seconds + 59) // 60)
        sent = ngettext(
            "You have sent %(limit)d confirmation e-mail in the last hour, the most we allow.",
            "You have sent %(limit)d confirmation e-mails in the last hour, the most we allow.",
            limit,
        ) % {"limit": limit}
        wait = ngettext(
            "Please try again in %(minutes)d minute.",
            "Please try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        return f"{sent} {wait}"


class EmailTaken(AccountsRefusal):
    """Another wallet account confirmed this address while the link was open (the send
    never says so: SEC-16)."""

    code = AccountsCode.EMAIL_TAKEN
    default_message = _("This address is already confirmed for another wallet account.")
    http_status = 409


# --- the confirmation link ----------------------------------------------------------------


class EmailUnchanged(AccountsRefusal):
    code = AccountsCode.EMAIL_UNCHANGED
    default_message = _("This is already your wallet's address.")
    http_status = 400


class LinkProblem(AccountsRefusal):
    """The confirmation link cannot be used; the subclass says why."""

    http_status = 410


class LinkUnknown(LinkProblem):
    code = AccountsCode.LINK_UNKNOWN
    default_message = _("This link is not valid. Send a new confirmation e-mail.")
    http_status = 404


class LinkUsed(LinkProblem):
    code = AccountsCode.LINK_USED
    default_message = _("This link has already been used. Each link works only once.")


class LinkExpired(LinkProblem):
    code = AccountsCode.LINK_EXPIRED

    @property
    def message(self) -> str:
        hours = int(domain.LINK_LIFETIME.total_seconds() // 3600)
        return ngettext(
            "This link has expired: links work for %(hours)d hour. Send a new confirmation e-mail.",
            "This link has expired: links work for %(hours)d hours. "
            "Send a new confirmation e-mail.",
            hours,
        ) % {"hours": hours}


class LinkOtherAccount(LinkProblem):
    code = AccountsCode.LINK_OTHER_ACCOUNT
    default_message = _(
        "This link belongs to another wallet account. Sign in with the account it was sent to."
    )
    http_status = 403


class LinkAlreadyConfirmed(LinkProblem):
    code = AccountsCode.LINK_ALREADY_CONFIRMED
    default_message = _("Your e-mail is already confirmed.")


# --- connecting a shop to a wallet (docs/decisions/0010) ----------------------------------


class ConnectLinkProblem(LinkProblem):
    """The link that connects a shop to a wallet cannot be used; the subclass says why."""


class ConnectLinkUnknown(ConnectLinkProblem):
    code = AccountsCode.CONNECT_LINK_UNKNOWN
    default_message = _("This link is not valid. Ask for a new link to connect this shop.")
    http_status = 404


class ConnectLinkUsed(ConnectLinkProblem):
    code = AccountsCode.CONNECT_LINK_USED
    default_message = _("This link has already been used. Each link works only once.")


class ConnectLinkExpired(ConnectLinkProblem):
    code = AccountsCode.CONNECT_LINK_EXPIRED

    @property
    def message(self) -> str:
        minutes = int(domain.CONNECT_LINK_LIFETIME.total_seconds() // 60)
        return ngettext(
            "This link has expired: it worked for %(minutes)d minute. "
            "Ask for a new link to connect this shop.",
            "This link has expired: it worked for %(minutes)d minutes. "
            "Ask for a new link to connect this shop.",
            minutes,
        ) % {"minutes": minutes}


class ConnectLinkOtherAccount(ConnectLinkProblem):
    code = AccountsCode.CONNECT_LINK_OTHER_ACCOUNT
    default_message = _(
        "This link was made for another shop account. Sign in through the shop account "
        "that asked for it, then open the link again."
    )
    http_status = 403


class ConnectNotStranded(ConnectLinkProblem):
    code = AccountsCode.CONNECT_NOT_STRANDED
    default_message = _("This shop account already belongs to a wallet.")
    http_status = 409


class ShopUnknown(AccountsRefusal):
    code = AccountsCode.SHOP_UNKNOWN
    default_message = _("This shop is not connected to your wallet.")
    http_status = 404


class ShopInUse(AccountsRefusal):
    code = AccountsCode.SHOP_IN_USE
    default_message = _(
        "You are signed in through this shop, so it cannot be removed now. "
        "Sign in through another connected shop to remove it."
    )
    http_status = 409


# --- sign-in through a platform -----------------------------------------------------------


class SignInFailed(AccountsRefusal):
    """Signing in through the shop did not work. ``reason`` (an OIDC step's code, such as
    ``unknown_state`` or ``wrong_nonce``) is for logs and tests, never for the page."""

    code = AccountsCode.SIGN_IN_FAILED
    default_message = _(
        "Signing in through your shop did not work. Please press “Go to my wallet” again."
    )
    http_status = 400

    def __init__(self, reason: str, *, http_status: int = 400) -> None:
        super().__init__(reason=reason)
        self.reason = reason
        self.status = http_status


class AccountInactive(SignInFailed):
    code = AccountsCode.ACCOUNT_INACTIVE
    http_status = 403

    def __init__(self) -> None:
        super().__init__("inactive", http_status=403)
