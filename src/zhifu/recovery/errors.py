"""The refusals of payment-password recovery: every code in one place.

Each step refuses with a clear page, never a traceback (issue 13, item 9): 410 for a link
that is used, expired, superseded or revoked, 403 for another buyer's link or a skipped
step, 423 while self-service recovery is locked or the wallet froze less than a day ago.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhifu.kernel.errors import Codes, Refusal


class RecoveryCode(Codes):
    LINK_GONE = "recovery_link_gone"
    OTHER_SESSION = "recovery_link_other_session"
    STEP_SKIPPED = "recovery_step_skipped"
    LOCKED = "recovery_locked"
    FROZEN_RECENTLY = "recovery_frozen_recently"
    SAME_PIN = "recovery_same_pin"
    FREEZE_LINK_GONE = "freeze_link_gone"
    CONFIRM_LINK_GONE = "confirm_link_gone"


class RecoveryRefusal(Refusal):
    code = "recovery_refused"
    http_status = 403


class LinkGone(RecoveryRefusal):
    code = RecoveryCode.LINK_GONE
    default_message = _(
        "This recovery link is no longer valid: it was used, it expired, a newer one was "
        "sent, or too many wrong answers revoked it. Ask for a new one."
    )
    http_status = 410


class OtherSession(RecoveryRefusal):
    code = RecoveryCode.OTHER_SESSION
    default_message = _(
        "This recovery link belongs to another wallet. Sign in through your own shop "
        "account and open the link again."
    )
    http_status = 403


class StepSkipped(RecoveryRefusal):
    code = RecoveryCode.STEP_SKIPPED
    default_message = _(
        "Recovery goes step by step: open the link from the e-mail, then answer your "
        "security questions, then choose a new payment password."
    )
    http_status = 403


class SelfServiceLocked(RecoveryRefusal):
    code = RecoveryCode.LOCKED
    default_message = _(
        "Too many wrong answers: self-service recovery is locked. Our support team can help."
    )
    http_status = 423


class FrozenRecently(RecoveryRefusal):
    code = RecoveryCode.FROZEN_RECENTLY
    default_message = _(
        "Your wallet was frozen less than 24 hours ago. Contact support, or recover your "
        "payment password once 24 hours have passed since the freeze."
    )
    http_status = 423


class SamePin(RecoveryRefusal):
    code = RecoveryCode.SAME_PIN
    default_message = _("Choose a payment password different from your previous one.")
    http_status = 400


class FreezeLinkGone(RecoveryRefusal):
    code = RecoveryCode.FREEZE_LINK_GONE
    default_message = _(
        "This link is no longer valid: it was used already or it is older than 7 days. "
        "If someone else is using your wallet, contact support."
    )
    http_status = 410


class ConfirmLinkGone(RecoveryRefusal):
    code = RecoveryCode.CONFIRM_LINK_GONE
    default_message = _(
        "This confirmation link is no longer valid: it was used or it expired. Ask for a new one."
    )
    http_status = 410
