"""The ledger's and FX's refusals: codes enumerated once, each used by exactly one class."""

from __future__ import annotations

import pytest

from zhifu.fx import errors as fx_errors
from zhifu.kernel.errors import Codes, Refusal, codes_of
from zhifu.ledger import errors as ledger_errors


@pytest.mark.parametrize(
    ("base", "codes"),
    [
        (ledger_errors.LedgerError, ledger_errors.LedgerCode),
        (fx_errors.FxError, fx_errors.FxCode),
    ],
)
def test_every_code_of_an_area_is_enumerated_and_used_once(
    base: type[Refusal], codes: type[Codes]
) -> None:
    assert set(codes_of(base)) == {code.value for code in codes}


def test_the_documented_codes_are_unchanged() -> None:
    # API clients switch on these strings (docs/ledger.md): renaming one breaks them.
    assert sorted(codes_of(ledger_errors.LedgerError)) == [
        "balance_disabled",
        "duplicate_reference",
        "entry_not_found",
        "insufficient_funds",
        "ledger_error",
        "not_reversible",
        "refund_too_large",
        "withdrawal_closed",
    ]
    assert sorted(set(codes_of(fx_errors.FxError)) - {"fx_error"}) == [
        "amount_too_small",
        "quote_expired",
        "quote_mismatch",
        "quote_not_found",
        "quote_used",
        "rate_stale",
        "rate_unavailable",
        "same_currency",
    ]


def test_a_stale_rate_is_a_refusal_but_not_a_ledger_error() -> None:
    stale = fx_errors.RateStale()
    assert isinstance(stale, Refusal)
    assert not isinstance(stale, ledger_errors.LedgerError)
    assert stale.code == "rate_stale"
