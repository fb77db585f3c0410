"""`zhifu webhooks deliveries|resend`: the operator's view of webhook deliveries and "send
again" (docs/webhooks.md "Operators"); the worker's delivery job (worker_jobs)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from zhifu.config.runtime import CommandError, action_group, open_wallet_main_database

# The worker looks for claims and finished sends on every round (it waits 1 s when idle).
DELIVER_EVERY_S = 0.0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    actions = action_group(
        sub, "webhooks", common, help_text="webhook deliveries to shops", dest="webhooks_command"
    )
    p = actions.add_parser(
        "deliveries",
        parents=[common],
        help="recent deliveries, or one event's (attempts, status codes, answers)",
    )
    p.add_argument("event", nargs="?", metavar="EVENT_ID", help="only this event's (evt_…)")
    p.add_argument("--state", choices=["pending", "succeeded", "failed"])
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="the whole log as JSON")
    p.set_defaults(func=cmd_deliveries)
    p = actions.add_parser("resend", parents=[common], help="send an event again")
    p.add_argument("event", metavar="EVENT_ID")
    p.add_argument("--endpoint", metavar="ENDPOINT_ID", help="only to this endpoint (we_…)")
    p.set_defaults(func=cmd_resend)


def _print(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        last = row["attempts"][-1] if row["attempts"] else None
        code = (last["status_code"] or last["error"]) if last else "-"
        print(
            f"{row['id']}  {row['event']}  {row['endpoint']}  {row['status']:<9}  "
            f"attempts={row['attempt_count']}  last={code}  next={row['next_attempt_at'] or '-'}"
        )


def cmd_deliveries(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    from zhifu.webhooks import services
    from zhifu.webhooks.domain import DeliveryState
    from zhifu.webhooks.errors import WebhooksRefusal

    try:
        if args.event:
            rows = services.event_deliveries(None, args.event)
        else:
            state = DeliveryState(args.state) if args.state else None
            rows = services.recent_deliveries(state=state, limit=args.limit)
    except WebhooksRefusal as exc:
        raise CommandError(str(exc), 1) from None
    _print(rows, args.json)


def cmd_resend(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    from zhifu.webhooks import services
    from zhifu.webhooks.errors import WebhooksRefusal

    try:
        rows = services.resend(None, args.event, endpoint_id=args.endpoint)
    except WebhooksRefusal as exc:
        raise CommandError(str(exc), 1) from None
    print(f"{args.event}: due again at {len(rows)} endpoint(s)")
    _print(rows, False)


def worker_jobs() -> list[tuple[str, float, Callable[[], object]]]:
    """The worker's webhook job, after setup_site: one Sender for the process's life."""
    from zhifu.webhooks.services import Sender

    sender = Sender()
    return [("webhooks.deliver", DELIVER_EVERY_S, sender.run_once)]
