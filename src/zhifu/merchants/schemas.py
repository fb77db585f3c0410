"""The merchant API's request and response shapes (the OpenAPI document is built from them).

Requests refuse unknown fields (``extra="forbid"``) and take amounts as JSON integers only
(``12.5``, ``"12"`` and ``true`` are refused). Rules that belong to payments (amount > 0,
the currency enabled, field lengths, https return URLs) are checked there and answered with
their own codes; the bounds below that say so are documentation for clients, repeated from
payments.domain, not a second check.

Responses describe exactly payments.domain.payment_object / refund_object (the schemathesis
test checks every answer against them); they forbid extra fields so a drift shows.
"""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, JsonValue, StrictInt, StrictStr, field_validator

from zhifu.payments import domain as payments

PaymentStatusName = Literal[
    "requires_payment_method",
    "processing",
    "requires_action",
    "requires_capture",
    "succeeded",
    "canceled",
    "failed",
    "expired",
]
CaptureMethodName = Literal["automatic", "manual"]
RefundStatusName = Literal["pending", "succeeded", "failed"]
REFUND_REASONS: list[JsonValue] = [reason.value for reason in payments.RefundReason]
ErrorType = Literal[
    "invalid_request_error",
    "authentication_error",
    "idempotency_error",
    "rate_limit_error",
    "card_error",
    "api_error",
]


def clean_text(value: Any) -> Any:
    """Refuse what no column can hold: NUL and unpaired surrogates (valid JSON escapes)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("is not valid Unicode (an unpaired surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            clean_text(key)
            clean_text(item)
    return value


def _doc(**schema: Any) -> Any:
    """Bounds for the OpenAPI document only (the payments area enforces them)."""
    return Field(json_schema_extra=schema)


def _enabled_currencies(schema: dict[str, Any]) -> None:
    """The currencies this wallet takes, read when the document is built (configuration)."""
    from zhifu.config.site import config

    schema["enum"] = list(config().currencies)


class Request(Schema):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_text(value)


class Response(Schema):
    model_config = ConfigDict(extra="forbid")


# --- errors --------------------------------------------------------------------------------


class ErrorBody(Response):
    type: ErrorType
    code: str = Field(description="Stable and machine-readable: docs/api.md lists every code.")
    message: str = Field(description="For people (English); may change.")
    param: str | None = Field(description="The parameter or header at fault, if one is.")


class ErrorOut(Response):
    error: ErrorBody


# --- payments ------------------------------------------------------------------------------


class PaymentCreate(Request):
    amount: StrictInt = _doc(
        minimum=1, maximum=payments.MAX_AMOUNT, description="In minor units (cents, fen)."
    )
    currency: StrictStr = Field(
        description="ISO 4217, one of the wallet's currencies.",
        json_schema_extra=_enabled_currencies,
    )
    order_reference: StrictStr = _doc(minLength=1, maxLength=payments.MAX_ORDER_REFERENCE)
    description: StrictStr = Field(default="", json_schema_extra={"maxLength": 1000})
    buyer_reference: StrictStr | None = Field(
        default=None,
        description="The buyer's subject at the platform's identity provider: only that "
        "buyer may pay.",
    )
    return_url: StrictStr = _doc(
        format="uri", maxLength=payments.MAX_RETURN_URL, description="https outside the demo."
    )
    capture_method: CaptureMethodName = "automatic"
    metadata: dict[StrictStr, StrictStr] = Field(
        default_factory=dict,
        json_schema_extra={"maxProperties": payments.MAX_METADATA_KEYS},
    )


class CaptureIn(Request):
    amount: StrictInt | None = Field(
        default=None,
        description="Minor units to capture (at most amount_capturable); the rest is "
        "released. Omitted: all of it.",
        json_schema_extra={"minimum": 1},
    )


class CancelIn(Request):
    pass


class CardOut(Response):
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None


class PaymentMethodOut(Response):
    type: Literal["card", "balance"]
    card: CardOut | None


class FailureOut(Response):
    code: str
    message: str


class PaymentOut(Response):
    id: str
    object: Literal["payment"]
    amount: int
    currency: str
    amount_capturable: int
    amount_received: int
    amount_refunded: int
    status: PaymentStatusName
    capture_method: CaptureMethodName
    order_reference: str
    description: str
    buyer_reference: str | None
    return_url: str
    cashier_url: str = Field(description="Send the buyer here to pay.")
    metadata: dict[str, str]
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    expires_at: str = Field(json_schema_extra={"format": "date-time"})
    canceled_at: str | None = Field(json_schema_extra={"format": "date-time"})
    failure: FailureOut | None
    payment_method: PaymentMethodOut | None
    livemode: bool


class PaymentList(Response):
    object: Literal["list"]
    url: str
    has_more: bool
    data: list[PaymentOut]


# --- refunds -------------------------------------------------------------------------------


class RefundCreate(Request):
    payment: StrictStr = Field(description="The id of a payment of yours (pay_…).")
    amount: StrictInt | None = Field(
        default=None,
        description="Minor units; omitted: everything captured and not yet refunded.",
        json_schema_extra={"minimum": 1},
    )
    reason: StrictStr = Field(default="", json_schema_extra={"enum": REFUND_REASONS})
    metadata: dict[StrictStr, StrictStr] = Field(
        default_factory=dict,
        json_schema_extra={"maxProperties": payments.MAX_METADATA_KEYS},
    )


class RefundOut(Response):
    id: str
    object: Literal["refund"]
    payment: str
    amount: int
    currency: str
    status: RefundStatusName
    reason: str
    metadata: dict[str, str]
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    failure: FailureOut | None


class RefundList(Response):
    object: Literal["list"]
    url: str
    has_more: bool
    data: list[RefundOut]
