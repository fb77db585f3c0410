"""Webhooks' refusals: the codes a shop's API client may see, enumerated once."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhifu.kernel.errors import Codes, Refusal
from zhifu.webhooks.domain import RuleBroken, RuleCode


class WebhooksCode(Codes):
    ENDPOINT_NOT_FOUND = "webhook_endpoint_not_found"
    EVENT_NOT_FOUND = "event_not_found"
    ENDPOINTS_EXHAUSTED = "webhook_endpoints_exhausted"
    URL_INVALID = RuleCode.URL_INVALID.value
    EVENTS_INVALID = RuleCode.EVENTS_INVALID.value
    DESCRIPTION_TOO_LONG = RuleCode.DESCRIPTION_TOO_LONG.value
    OVERLAP_INVALID = RuleCode.OVERLAP_INVALID.value


class WebhooksRefusal(Refusal):
    code = "webhooks_refused"
    http_status = 400


class EndpointNotFound(WebhooksRefusal):
    code = WebhooksCode.ENDPOINT_NOT_FOUND
    default_message = _("This webhook endpoint does not exist.")
    http_status = 404


class EventNotFound(WebhooksRefusal):
    code = WebhooksCode.EVENT_NOT_FOUND
    default_message = _("This event does not exist.")
    http_status = 404


class EndpointsExhausted(WebhooksRefusal):
    code = WebhooksCode.ENDPOINTS_EXHAUSTED
    default_message = _("No more webhook endpoints can be added: delete one first.")


class UrlInvalid(WebhooksRefusal):
    code = WebhooksCode.URL_INVALID
    default_message = _(
        "The URL must be an absolute https URL without credentials, on a public address."
    )


class EventsInvalid(WebhooksRefusal):
    code = WebhooksCode.EVENTS_INVALID
    default_message = _('Name one or more known event types, or "*" alone for all of them.')


class DescriptionTooLong(WebhooksRefusal):
    code = WebhooksCode.DESCRIPTION_TOO_LONG
    default_message = _("The description may be at most 500 characters long.")


class OverlapInvalid(WebhooksRefusal):
    code = WebhooksCode.OVERLAP_INVALID
    default_message = _("The overlap must be between 0 and 168 hours.")


_BY_RULE: dict[RuleCode, type[WebhooksRefusal]] = {
    RuleCode.URL_INVALID: UrlInvalid,
    RuleCode.EVENTS_INVALID: EventsInvalid,
    RuleCode.DESCRIPTION_TOO_LONG: DescriptionTooLong,
    RuleCode.OVERLAP_INVALID: OverlapInvalid,
}


def refusal_for(broken: RuleBroken) -> WebhooksRefusal:
    return _BY_RULE[broken.code](param=broken.param)
