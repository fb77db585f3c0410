"""The merchant API's own refusals: every code it answers with besides the payments area's,
enumerated in :class:`MerchantsCode` (docs/api.md lists them with their statuses).

Messages go through gettext like every refusal; the API renders them in English.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhifu.kernel.errors import Codes, Refusal


class MerchantsCode(Codes):
    AUTHENTICATION_REQUIRED = "authentication_required"
    API_KEY_INVALID = "api_key_invalid"  # pragma: allowlist secret
    PLATFORM_DISABLED = "platform_disabled"
    RATE_LIMITED = "rate_limited"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_USE = "idempotency_key_in_use"
    INVALID_JSON = "invalid_json"
    PARAMETER_MISSING = "parameter_missing"
    PARAMETER_UNKNOWN = "parameter_unknown"
    PARAMETER_INVALID = "parameter_invalid"
    REQUEST_TOO_LARGE = "request_too_large"
    RESOURCE_NOT_FOUND = "resource_not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    API_ERROR = "api_error"
    PLATFORM_UNKNOWN = "platform_unknown"
    API_KEY_UNKNOWN = "api_key_unknown"  # pragma: allowlist secret


class MerchantsRefusal(Refusal):
    """Base of the merchant API's refusals."""

    code = "merchants_refused"
    http_status = 400


# --- authentication -----------------------------------------------------------------------


class AuthenticationRequired(MerchantsRefusal):
    code = MerchantsCode.AUTHENTICATION_REQUIRED
    default_message = _(
        "Send your secret API key in the Authorization header: Authorization: Bearer sk_…"
    )
    http_status = 401


class ApiKeyInvalid(MerchantsRefusal):
    """Unknown, malformed or revoked: the answer does not say which."""

    code = MerchantsCode.API_KEY_INVALID
    default_message = _("This API key is not valid (unknown or revoked).")
    http_status = 401


class PlatformDisabled(MerchantsRefusal):
    code = MerchantsCode.PLATFORM_DISABLED
    default_message = _("This platform is disabled; ask the wallet's operator.")
    http_status = 401


class RateLimited(MerchantsRefusal):
    code = MerchantsCode.RATE_LIMITED
    default_message = _("Too many requests with this API key; retry after %(seconds)s seconds.")
    http_status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(params={"seconds": retry_after})
        self.retry_after = retry_after


# --- idempotency ---------------------------------------------------------------------------


class IdempotencyKeyInvalid(MerchantsRefusal):
    code = MerchantsCode.IDEMPOTENCY_KEY_INVALID
    default_message = _("An idempotency key is 1 to 255 printable ASCII characters.")
    http_status = 400

    def __init__(self) -> None:
        super().__init__(param="Idempotency-Key")


class IdempotencyKeyReused(MerchantsRefusal):
    code = MerchantsCode.IDEMPOTENCY_KEY_REUSED
    default_message = _(
        "This idempotency key was used for a different request; use a new key for it."
    )
    http_status = 422

    def __init__(self) -> None:
        super().__init__(param="Idempotency-Key")


class IdempotencyKeyInUse(MerchantsRefusal):
    code = MerchantsCode.IDEMPOTENCY_KEY_IN_USE
    default_message = _(
        "A request with this idempotency key is still being processed; retry in a moment."
    )
    http_status = 409

    def __init__(self) -> None:
        super().__init__(param="Idempotency-Key")


# --- the request itself ---------------------------------------------------------------------


class InvalidJson(MerchantsRefusal):
    code = MerchantsCode.INVALID_JSON
    default_message = _("The request body is not valid JSON.")


class ParameterMissing(MerchantsRefusal):
    code = MerchantsCode.PARAMETER_MISSING
    default_message = _("A required parameter is missing: %(param)s.")

    def __init__(self, param: str) -> None:
        super().__init__(param=param, params={"param": param})


class ParameterUnknown(MerchantsRefusal):
    code = MerchantsCode.PARAMETER_UNKNOWN
    default_message = _("Unknown parameter: %(param)s.")

    def __init__(self, param: str) -> None:
        super().__init__(param=param, params={"param": param})


class ParameterInvalid(MerchantsRefusal):
    code = MerchantsCode.PARAMETER_INVALID
    default_message = _("Invalid value for %(param)s: %(problem)s.")

    def __init__(self, param: str, problem: str) -> None:
        super().__init__(param=param, params={"param": param, "problem": problem})


class BodyNotObject(ParameterInvalid):
    """The body as a whole is the invalid parameter (an array, a string, null)."""

    default_message = _("The request body must be a JSON object.")

    def __init__(self) -> None:
        MerchantsRefusal.__init__(self)


class RequestTooLarge(MerchantsRefusal):
    code = MerchantsCode.REQUEST_TOO_LARGE
    default_message = _("The request body is larger than %(limit)s bytes.")
    http_status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(params={"limit": limit})


class ResourceNotFound(MerchantsRefusal):
    code = MerchantsCode.RESOURCE_NOT_FOUND
    default_message = _("There is no such endpoint in the API.")
    http_status = 404


class MethodNotAllowed(MerchantsRefusal):
    code = MerchantsCode.METHOD_NOT_ALLOWED
    default_message = _("This endpoint does not accept the %(method)s method.")
    http_status = 405

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(params={"method": method})
        self.allowed = allowed


class ApiError(MerchantsRefusal):
    """Not a refusal the caller caused: the envelope of an unexpected failure (logged)."""

    code = MerchantsCode.API_ERROR
    default_message = _("Something went wrong on our side; it was logged. Please retry.")
    http_status = 500


# --- managing keys (the `zhifu platform keys` commands) -------------------------------------


class PlatformUnknown(MerchantsRefusal):
    code = MerchantsCode.PLATFORM_UNKNOWN
    default_message = _("No platform %(slug)s (see `zhifu platform list`).")
    http_status = 404

    def __init__(self, slug: str) -> None:
        super().__init__(params={"slug": repr(slug)})


class ApiKeyUnknown(MerchantsRefusal):
    code = MerchantsCode.API_KEY_UNKNOWN
    default_message = _("The platform has no API key %(key)s (see `zhifu platform keys list`).")
    http_status = 404

    def __init__(self, key_id: str) -> None:
        super().__init__(params={"key": repr(key_id)})
