"""The handoff worker: delivers pending notifications and ends pauses that are over.

`orienta handoff worker` runs it in a loop (scripts/run.sh starts it); every
step is idempotent and safe to run from several processes at once, since a
notification delivered twice is better than one lost.
"""
from __future__ import annotations

import logging
import time
from urllib.parse import quote
from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Tuple

import httpx

from .config import HandoffSettings
from .notify import deliver, retry_delay
from .store import HandoffRequest, HandoffStore, utcnow

logger = logging.getLogger(__name__)
RESUME_ACTION = "action_handoff_ended"


@dataclass
class StepReport:
    delivered: int = 0
    failed: int = 0
    resumed: int = 0


def deliver_due(store: HandoffStore, settings: HandoffSettings, client: httpx.Client,
                now: Optional[datetime] = None) -> StepReport:
    report = StepReport()
    for notification in store.due_notifications(now):
        error = deliver(client, notification.url, notification.payload, settings.webhook_timeout_seconds)
        delay = retry_delay(notification.attempts + 1, settings.retry_first_seconds, settings.retry_max_seconds)
        store.record_attempt(notification.id, error, delay, now)
        if error is None:
            report.delivered += 1
        else:
            report.failed += 1
            logger.warning("Handoff notification %s (request %s) failed, attempt %d, retry in %ds: %s",
                           notification.id, notification.request_id, notification.attempts + 1,
                           delay.total_seconds(), error)
    return report


def resume_conversation(client: httpx.Client, settings: HandoffSettings, sender_id: str) -> Optional[str]:
    """Ask the Rasa server to run the end-of-pause action in the conversation; None on success."""
    url = f"{settings.rasa_url.rstrip('/')}/conversations/{quote(sender_id, safe='')}/execute"
    params = {"output_channel": "latest", **({"token": settings.rasa_token} if settings.rasa_token else {})}
    try:
        response = client.post(url, params=params, json={"name": RESUME_ACTION}, timeout=30)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    return None if response.status_code == 200 else f"HTTP {response.status_code}: {response.text[:200]}"


def end_pause(store: HandoffStore, settings: HandoffSettings, client: httpx.Client, request: HandoffRequest,
              now: Optional[datetime] = None) -> Tuple[bool, Optional[str]]:
    """Tell the conversation its pause is over unless another process already does it.

    Returns whether this call told it, and the error if telling it failed (the worker retries)."""
    if not store.claim_resume(request.id, now):
        return False, None
    error = resume_conversation(client, settings, request.sender_id)
    if error is not None:
        store.release_resume(request.id)
    return error is None, error


def end_pauses(store: HandoffStore, settings: HandoffSettings, client: httpx.Client,
               now: Optional[datetime] = None) -> int:
    resumed = 0
    for request in store.pauses_to_end(now):
        told, error = end_pause(store, settings, client, request, now)
        resumed += told
        if error is not None:
            logger.warning("Could not resume the conversation of handoff %s: %s", request.id, error)
    return resumed


def run_once(store: HandoffStore, settings: HandoffSettings, client: httpx.Client,
             now: Optional[datetime] = None) -> StepReport:
    report = deliver_due(store, settings, client, now)
    report.resumed = end_pauses(store, settings, client, now)
    return report


def run_forever(settings: HandoffSettings, client: Optional[httpx.Client] = None) -> None:
    store = HandoffStore(settings.database_url)
    client = client or httpx.Client()
    logger.info("Handoff worker started (every %ss).", settings.worker_interval_seconds)
    while True:
        try:
            run_once(store, settings, client, utcnow())
        except Exception:  # a database hiccup must not stop the worker; the next round retries
            logger.exception("Handoff worker round failed")
        time.sleep(settings.worker_interval_seconds)
