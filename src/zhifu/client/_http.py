"""One API call: the request, its retries and the mapping of answers to exceptions.

Retries are safe because every POST carries one idempotency key for the whole logical call
(all its attempts): the wallet runs it once and replays the first answer. What is retried:
a connection that failed or broke, 409 `idempotency_key_in_use` (the first attempt is
still running), 429 (after `Retry-After` when it is short) and 5xx. The waits grow
exponentially with full jitter and are bounded.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from zhifu.client.errors import APIError, NetworkError, ZhifuError, error_for

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
USER_AGENT = "zhifu-python"


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = INITIAL_DELAY
    max_delay: float = MAX_DELAY

    def delay(self, attempt: int, rng: Callable[[], float]) -> float:
        """The wait before retry number ``attempt`` (1-based): full jitter under a cap."""
        ceiling = min(self.max_delay, self.initial_delay * 2 ** (attempt - 1))
        return ceiling * rng()


def _retryable(status: int, body: Any) -> bool:
    if status >= 500 or status == 429:
        return True
    if status == 409 and isinstance(body, dict):
        error = body.get("error")
        return isinstance(error, dict) and error.get("code") == "idempotency_key_in_use"
    return False


class Requestor:
    """Sends the calls of one `Client` over one `requests.Session`."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: float,
        retry: RetryPolicy,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if not api_key:
            raise ValueError("an API key is required (sk_test_… or sk_live_…)")
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry
        self.session = session or requests.Session()
        self._sleep = sleep
        self._rng = rng

    def __repr__(self) -> str:  # never the key
        return f"Requestor({self.base_url!r})"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """The decoded JSON of a successful answer; raises a ZhifuError otherwise."""
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        data: bytes | None = None
        if method == "POST":
            # One key for every attempt of this call: that is what makes retrying safe.
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(dict(body), separators=(",", ":")).encode()
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = self.base_url + path
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    url,
                    params=query,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                if attempt < self.retry.max_retries:
                    attempt += 1
                    self._sleep(self.retry.delay(attempt, self._rng))
                    continue
                raise NetworkError(f"could not reach the zhifu API ({type(exc).__name__})") from exc
            status = response.status_code
            if status < 300 and not response.content:
                return {}  # 204: nothing to decode
            decoded = _decode(response)
            if status < 300 and decoded is not _UNDECODABLE:
                return decoded
            if _retryable(status, decoded) and attempt < self.retry.max_retries:
                attempt += 1
                self._sleep(self._wait(attempt, response))
                continue
            raise self._error(response, decoded)

    def _wait(self, attempt: int, response: requests.Response) -> float:
        delay = self.retry.delay(attempt, self._rng)
        retry_after = response.headers.get("Retry-After")
        if response.status_code == 429 and retry_after and retry_after.isdigit():
            return min(float(retry_after), self.retry.max_delay) or delay
        return delay

    def _error(self, response: requests.Response, decoded: Any) -> ZhifuError:
        headers = {k.lower(): v for k, v in response.headers.items()}
        request_id = headers.get("request-id") or headers.get("x-request-id")
        if decoded is _UNDECODABLE:
            return APIError(
                f"the API answered HTTP {response.status_code} with no JSON",
                http_status=response.status_code,
                request_id=request_id,
                headers=headers,
            )
        return error_for(response.status_code, decoded, headers, request_id)


_UNDECODABLE: Any = object()


def _decode(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return _UNDECODABLE
