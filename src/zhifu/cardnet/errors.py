"""cardnet's API refusals, every code in one place; the API renders each as
``{"error": {"code", "message", "param"}}`` with its ``http_status``.

The messages are English only: the API's one client is a program (the wallet's connector,
which reads the code and the status, never the text).
"""

from __future__ import annotations

from zhifu.kernel.errors import Codes, Refusal

__all__ = [
    "ApiRefusal",
    "CardnetCode",
    "IdempotencyKeyReused",
    "InvalidJson",
    "InvalidRequest",
    "MethodNotAllowed",
    "NotFound",
    "TooLarge",
    "Unauthorized",
]


class CardnetCode(Codes):
    UNAUTHORIZED = "unauthorized"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    TOO_LARGE = "too_large"
    INVALID_JSON = "invalid_json"
    INVALID_REQUEST = "invalid_request"
    NOT_FOUND = "not_found"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"


class ApiRefusal(Refusal):
    """Base of cardnet's API refusals: the request was turned away, nothing was done."""

    http_status = 400


class Unauthorized(ApiRefusal):
    code = CardnetCode.UNAUTHORIZED
    default_message = "missing or wrong API key"
    http_status = 401


class MethodNotAllowed(ApiRefusal):
    code = CardnetCode.METHOD_NOT_ALLOWED
    default_message = "method not allowed"
    http_status = 405

    def __init__(self, allowed: str) -> None:
        super().__init__(f"use {allowed}")
        self.allowed = allowed


class TooLarge(ApiRefusal):
    code = CardnetCode.TOO_LARGE
    default_message = "request body too large"


class InvalidJson(ApiRefusal):
    code = CardnetCode.INVALID_JSON
    default_message = "the body is not JSON"


class InvalidRequest(ApiRefusal):
    """A field is missing, has the wrong type or an unusable value (``param`` names it)."""

    code = CardnetCode.INVALID_REQUEST
    default_message = "invalid request"


class NotFound(ApiRefusal):
    """No such authorization, or no operation under that key."""

    code = CardnetCode.NOT_FOUND
    default_message = "not found"
    http_status = 404


class IdempotencyKeyReused(ApiRefusal):
    """The key already answered a different request (another body, flow or authorization)."""

    code = CardnetCode.IDEMPOTENCY_KEY_REUSED
    default_message = "this Idempotency-Key was used for a different request"
    http_status = 422
