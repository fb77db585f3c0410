"""Step-up proofs for tests that exercise a guarded use case, not the payment password.

``proof_for`` writes the row ``credentials.services.step_up`` writes after a right PIN, so
the vault's tests (whose owners are not always wallet users) need no Argon2 check per card.
"""

from __future__ import annotations

import secrets
from typing import Any

from zhifu.credentials import domain
from zhifu.credentials.models import StepUpProof
from zhifu.kernel import clock


def proof_for(owner: Any, action: str) -> domain.StepUp:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = StepUpProof.objects.create(
        token_hash=domain.proof_digest(token),
        owner_id=str(getattr(owner, "pk", owner)),
        action=action,
        created_at=now,
        expires_at=now + domain.STEP_UP_LIFETIME,
    )
    return domain.StepUp(token=token, action=action, expires_at=row.expires_at)


def adding(owner: Any) -> domain.StepUp:
    """A proof for adding one card."""
    return proof_for(owner, domain.bound(domain.Action.CARD_ADD))


def deleting(owner: Any, card_id: str) -> domain.StepUp:
    """A proof for deleting this card."""
    return proof_for(owner, domain.bound(domain.Action.CARD_DELETE, card_id))
