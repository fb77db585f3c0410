"""The SDK's exceptions: one family, mirroring the API's error envelope.

`ZhifuError` carries what the API said (`code`, `message`, `param`, `type`), the HTTP status
and the request id when the server sent one. Switch on the class or on `code`, never on
`message` (it is for people and may change).
"""

from __future__ import annotations

from typing import Any


class ZhifuError(Exception):
    """Any failure of a zhifu API call (or of verifying a webhook)."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        http_status: int | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.http_status = http_status
        self.type = error_type
        self.request_id = request_id
        self.body = body
        self.headers = headers or {}

    def __str__(self) -> str:
        parts = [self.message]
        if self.code:
            parts.append(f"(code={self.code}")
            parts[-1] += f", param={self.param})" if self.param else ")"
        if self.http_status:
            parts.append(f"[HTTP {self.http_status}]")
        return " ".join(parts)


class AuthenticationError(ZhifuError):
    """401: no key, an unknown or revoked key, a disabled platform."""


class InvalidRequestError(ZhifuError):
    """400 or 405 or 413: the request itself is wrong; sending it again will not help."""


class NotFoundError(InvalidRequestError):
    """404: no such object of yours (another platform's id answers the same)."""


class ConflictError(ZhifuError):
    """409: the object's state does not allow this (`payment_unexpected_state`)."""


class IdempotencyError(ConflictError):
    """409 `idempotency_key_in_use` (after the SDK's retries) or 422 `idempotency_key_reused`."""


class RateLimitError(ZhifuError):
    """429: over the key's limit; `retry_after` is the server's `Retry-After` in seconds."""

    @property
    def retry_after(self) -> float | None:
        value = self.headers.get("retry-after")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


class CardError(ZhifuError):
    """A `card_error` the API answered (a declined card)."""


class APIError(ZhifuError):
    """5xx, or an answer that is not the API's envelope: the wallet's side failed."""


class NetworkError(ZhifuError):
    """The wallet was not reached, or the connection broke before an answer came."""


class WebhookVerificationError(ZhifuError):
    """A webhook whose signature, timestamp or headers do not verify: do not trust it."""


def error_for(
    status: int, body: Any, headers: dict[str, str], request_id: str | None
) -> ZhifuError:
    """The exception for an error answer of the API."""
    envelope = body.get("error") if isinstance(body, dict) else None
    if not isinstance(envelope, dict):
        return APIError(
            f"unexpected answer (HTTP {status})",
            http_status=status,
            request_id=request_id,
            body=body,
            headers=headers,
        )
    code = envelope.get("code")
    error_type = envelope.get("type")
    kwargs: dict[str, Any] = {
        "code": code if isinstance(code, str) else None,
        "param": envelope.get("param") if isinstance(envelope.get("param"), str) else None,
        "http_status": status,
        "error_type": error_type if isinstance(error_type, str) else None,
        "request_id": request_id,
        "body": body,
        "headers": headers,
    }
    message = str(envelope.get("message") or f"HTTP {status}")
    cls: type[ZhifuError]
    if status == 401 or error_type == "authentication_error":
        cls = AuthenticationError
    elif status == 404:
        cls = NotFoundError
    elif error_type == "idempotency_error" and status in (409, 422):
        cls = IdempotencyError
    elif status == 409:
        cls = ConflictError
    elif status == 429:
        cls = RateLimitError
    elif error_type == "card_error":
        cls = CardError
    elif status >= 500:
        cls = APIError
    elif 400 <= status < 500:
        cls = InvalidRequestError
    else:
        cls = APIError
    return cls(message, **kwargs)
