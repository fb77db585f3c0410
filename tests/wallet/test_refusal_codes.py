"""Each area's refusal codes are enumerated in one place and used once."""

from __future__ import annotations

import pytest

from zhifu.accounts.errors import AccountsCode, AccountsRefusal
from zhifu.credentials.errors import CredentialsCode, CredentialsRefusal
from zhifu.kernel.errors import Codes, Refusal, codes_of
from zhifu.merchants.errors import MerchantsCode, MerchantsRefusal
from zhifu.payments.errors import PaymentsCode, PaymentsRefusal
from zhifu.webhooks.errors import WebhooksCode, WebhooksRefusal


@pytest.mark.parametrize(
    ("family", "codes"),
    [
        (AccountsRefusal, AccountsCode),
        (CredentialsRefusal, CredentialsCode),
        (PaymentsRefusal, PaymentsCode),
        (MerchantsRefusal, MerchantsCode),
        (WebhooksRefusal, WebhooksCode),
    ],
)
def test_every_refusal_of_an_area_has_a_code_of_its_enumeration(
    family: type[Refusal], codes: type[Codes]
) -> None:
    found = codes_of(family)
    assert issubclass(family, Refusal)
    concrete = {code for code, cls in found.items() if cls is not family}
    assert concrete == {c.value for c in codes}
