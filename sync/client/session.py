"""The HTTP side of the client: a requests Session with urllib3 Retry, and request signing.

Every event is idempotent at the centre, so POST is retried like GET: on connection errors, read
timeouts, 429 (honouring Retry-After) and 5xx, with exponential backoff and jitter.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from sync import signing
from sync.client.settings import SyncSettings
from sync.client.tls import describe_tls_failure

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class SyncError(Exception):
    """A failed exchange, with a stable code and a plain-words hint for the staff screen."""

    def __init__(self, code: str, message: str, status: int | None = None, retryable: bool = True) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status, self.retryable = code, message, status, retryable


def make_retry(settings: SyncSettings) -> Retry:
    return Retry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        other=settings.retries,
        allowed_methods=None,  # None = every method: POST is safe to repeat (idempotent events)
        status_forcelist=RETRY_STATUSES,
        backoff_factor=settings.backoff_factor,
        backoff_max=settings.backoff_max,
        backoff_jitter=settings.backoff_jitter,
        respect_retry_after_header=True,
        raise_on_status=False,  # hand back the last answer so its error body reaches the staff screen
    )


def make_session(settings: SyncSettings) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=make_retry(settings), pool_connections=1, pool_maxsize=2)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.verify = str(settings.ca_bundle) if settings.ca_bundle else True
    session.headers["User-Agent"] = f"hall-kiosk-sync/{settings.kiosk_id}"
    return session


class SignedClient:
    """Sends signed JSON requests to the centre and keeps the offset between our clock and its clock.

    The offset only keeps signatures inside the centre's timestamp window when the kiosk's clock has
    drifted; nothing is ever ordered by the kiosk's clock.
    """

    def __init__(
        self, settings: SyncSettings, key: signing.KioskKey, session: requests.Session | None = None
    ):
        self.settings = settings
        self.key = key
        self.session = session or make_session(settings)
        self.clock_offset = 0.0
        self._prefix = urlsplit(settings.base_url).path.rstrip("/")

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """One signed request, re-signed once if the centre says our clock or nonce is off."""
        for attempt in range(3):
            resp = self._send(method, path, body, params)
            if resp.status_code == 401 and attempt < 2 and _code(resp) in ("stale_timestamp", "replay"):
                # stale: our clock drifted (offset now corrected); replay: a retry of a request the centre
                # had already handled (its answer was lost). Either way: sign afresh and send again.
                continue
            return _result(resp)
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, body: Any, params: dict[str, Any] | None) -> requests.Response:
        raw = (
            b""
            if body is None
            else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        )
        query = urlencode(params or {})
        target = self._prefix + path + (f"?{query}" if query else "")
        headers = self.key.headers(method, target, raw, int(time.time() + self.clock_offset))
        if body is not None:
            headers["Content-Type"] = "application/json"
        url = self.settings.base_url + path + (f"?{query}" if query else "")
        try:
            resp = self.session.request(
                method,
                url,
                data=raw,
                headers=headers,
                timeout=(self.settings.connect_timeout, self.settings.timeout),
                # explicit: requests lets REQUESTS_CA_BUNDLE in the environment override session.verify
                verify=self.session.verify,
            )
        except requests.exceptions.SSLError as exc:
            raise SyncError("tls", describe_tls_failure(exc)) from exc
        except requests.exceptions.RetryError as exc:
            raise SyncError("unreachable", f"centre kept failing after retries: {exc}") from exc
        except requests.exceptions.Timeout as exc:
            raise SyncError("timeout", f"centre did not answer in time: {exc}") from exc
        except requests.exceptions.ConnectionError as exc:
            raise SyncError("unreachable", f"cannot reach the centre: {exc}") from exc
        server_time = resp.headers.get(signing.HEADER_SERVER_TIME)
        if server_time:
            with contextlib.suppress(ValueError):
                self.clock_offset = float(server_time) - time.time()
        return resp


def _code(resp: requests.Response) -> str:
    return _field(resp, "error")


def _field(resp: requests.Response, name: str) -> str:
    try:
        doc = resp.json()
    except ValueError:
        return ""
    return str(doc.get(name) or "") if isinstance(doc, dict) else ""


#: Refusals of the data itself: sending the same batch again cannot succeed until someone fixes it.
REFUSED_STATUSES = frozenset({403, 409, 422})


_HINTS = {
    401: ("auth", "the centre does not accept this kiosk's key — re-enrol the kiosk", False),
    403: ("forbidden", "the centre refused this kiosk (revoked, or another hall's data)", False),
    409: ("conflict", "the centre holds different events under the same numbers — call support", False),
    413: ("too_large", "batch too large for the centre", True),
    422: ("rejected", "the centre refused an event — call support", False),
    429: ("busy", "the centre is busy; will retry later", True),
}


def _result(resp: requests.Response) -> Any:
    if resp.status_code < 300:
        return resp.json()
    code, hint, retryable = _HINTS.get(resp.status_code, ("server_error", "the centre had an error", True))
    reason = _code(resp)
    detail = _field(resp, "detail")[:300] if resp.status_code in REFUSED_STATUSES else ""
    # the centre names the event and the field it refused: that is what support needs from the screen
    said = f"{reason}: {detail}" if detail else reason
    raise SyncError(code, f"{hint} (HTTP {resp.status_code} {said})".strip(), resp.status_code, retryable)
