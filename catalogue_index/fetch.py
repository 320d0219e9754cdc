"""Downloads a catalogue from an https:// URL: timeouts, a few retries, a size limit, clear errors.

Only https is accepted (a catalogue changes what the bot tells people; it
must not be tampered with on the way). Transient failures (connection
errors, timeouts, 429 and 5xx) are retried with a growing pause; anything
else fails at once with a message naming the URL. Settings come from the
environment: ORIENTA_FETCH_TIMEOUT (seconds, default 30), ORIENTA_FETCH_RETRIES
(default 3), ORIENTA_FETCH_MAX_BYTES (default 50 MB).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Optional
from urllib.parse import urlparse

import httpx

from .errors import FetchError

RETRY_STATUS = {429, 500, 502, 503, 504}
USER_AGENT = "orienta-catalogue-importer/1"


@dataclass(frozen=True)
class FetchSettings:
    timeout: float = 30.0
    retries: int = 3
    max_bytes: int = 50 * 1024 * 1024
    backoff: float = 1.0  # seconds before the first retry; doubles each time

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "FetchSettings":
        env = os.environ if env is None else env
        defaults = cls()
        try:
            return cls(timeout=float(env.get("ORIENTA_FETCH_TIMEOUT") or defaults.timeout),
                       retries=int(env.get("ORIENTA_FETCH_RETRIES") or defaults.retries),
                       max_bytes=int(env.get("ORIENTA_FETCH_MAX_BYTES") or defaults.max_bytes))
        except ValueError as error:
            raise FetchError(f"bad ORIENTA_FETCH_* setting: {error}") from error


def _check_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.netloc:
        raise FetchError(f"{url}: only https:// URLs can be imported")


def _read_limited(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{url}: {int(declared)} bytes is over the {max_bytes}-byte limit (ORIENTA_FETCH_MAX_BYTES)")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url}: more than the {max_bytes}-byte limit (ORIENTA_FETCH_MAX_BYTES)")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(url: str, *, settings: Optional[FetchSettings] = None,
          transport: Optional[httpx.BaseTransport] = None,
          sleep: Callable[[float], None] = time.sleep) -> bytes:
    """The body of `url`; FetchError with the reason if it cannot be had."""
    _check_url(url)
    settings = settings or FetchSettings.from_env()
    attempts = max(1, settings.retries + 1)
    last_reason = "no attempt made"
    with httpx.Client(transport=transport, timeout=settings.timeout, follow_redirects=True, max_redirects=5,
                      headers={"User-Agent": USER_AGENT}) as client:
        for attempt in range(1, attempts + 1):
            try:
                with client.stream("GET", url) as response:
                    if response.url.scheme != "https":
                        raise FetchError(f"{url}: redirected to a non-https URL ({response.url})")
                    if response.status_code in RETRY_STATUS:
                        last_reason = f"HTTP {response.status_code} {response.reason_phrase}"
                    elif response.status_code >= 400:
                        raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
                    else:
                        return _read_limited(response, url, settings.max_bytes)
            except httpx.TimeoutException:
                last_reason = f"timed out after {settings.timeout:g} s"
            except httpx.TooManyRedirects:
                raise FetchError(f"{url}: too many redirects") from None
            except httpx.TransportError as error:
                last_reason = f"{type(error).__name__}: {error}"
            if attempt < attempts:
                sleep(settings.backoff * 2 ** (attempt - 1))
    raise FetchError(f"{url}: gave up after {attempts} attempt{'s' if attempts > 1 else ''} ({last_reason})")
