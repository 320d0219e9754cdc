"""A learner's data: export it, forget it, and keep conversations no longer than the retention period.

Conversations live in Rasa's SQL tracker store (table `events`, one row per
event, written by the Rasa server); handoff requests in the handoff store.
Both are reached with SQLAlchemy from the settings, so this works on SQLite
and PostgreSQL alike.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional

from sqlalchemy import MetaData, Table, delete, func, inspect, select

from catalogue_index.db import get_engine
from orienta.handoff.store import HandoffStore, as_dict

EVENTS_TABLE = "events"
DEFAULT_RETENTION_DAYS = 180


def retention_days(env: Optional[Mapping[str, str]] = None) -> int:
    """`ORIENTA_RETENTION_DAYS` (default 180; 0 keeps conversations forever)."""
    env = os.environ if env is None else env
    value = (env.get("ORIENTA_RETENTION_DAYS") or "").strip()
    days = int(value) if value else DEFAULT_RETENTION_DAYS
    if days < 0:
        raise ValueError("ORIENTA_RETENTION_DAYS must be 0 or more")
    return days


@dataclass
class Cleanup:
    conversations: int
    events: int
    handoffs: int


class LearnerData:
    """The tracker store and the handoff store, for one operator command."""

    def __init__(self, tracker_store_url: str, handoff_url: str) -> None:
        self.engine = get_engine(tracker_store_url)
        self.handoffs = HandoffStore(handoff_url)

    def _events(self) -> Optional[Table]:
        """Rasa's events table, or None before the Rasa server has created it."""
        if not inspect(self.engine).has_table(EVENTS_TABLE):
            return None
        return Table(EVENTS_TABLE, MetaData(), autoload_with=self.engine)

    def export(self, sender_id: str) -> Dict[str, Any]:
        """Everything stored about one conversation, as JSON-safe data."""
        events: List[Dict[str, Any]] = []
        table = self._events()
        if table is not None:
            with self.engine.connect() as connection:
                rows = connection.execute(select(table.c.data).where(table.c.sender_id == sender_id)
                                          .order_by(table.c.id))
                events = [json.loads(data) for (data,) in rows]
        return {"sender_id": sender_id, "events": events,
                "handoff_requests": [as_dict(r) for r in self.handoffs.list(status=None, sender_id=sender_id)]}

    def forget(self, sender_id: str) -> Dict[str, int]:
        """Delete one conversation and its handoff requests; returns what was deleted."""
        removed = 0
        table = self._events()
        if table is not None:
            with self.engine.begin() as connection:
                removed = connection.execute(delete(table).where(table.c.sender_id == sender_id)).rowcount
        return {"events": removed, "handoff_requests": self.handoffs.forget(sender_id)}

    def cleanup(self, days: int, now: Optional[float] = None) -> Cleanup:
        """Delete conversations whose latest event is older than `days`, and resolved requests as old."""
        if days <= 0:
            return Cleanup(0, 0, 0)
        cutoff = (now if now is not None else time.time()) - days * 86400
        conversations = events = 0
        table = self._events()
        if table is not None:
            with self.engine.begin() as connection:
                stale = select(table.c.sender_id).group_by(table.c.sender_id).having(func.max(table.c.timestamp) < cutoff)
                senders = [s for (s,) in connection.execute(stale)]
                for start in range(0, len(senders), 500):
                    chunk = senders[start:start + 500]
                    events += connection.execute(delete(table).where(table.c.sender_id.in_(chunk))).rowcount
                conversations = len(senders)
        handoffs = self.handoffs.purge_before(datetime.fromtimestamp(cutoff, tz=timezone.utc))
        return Cleanup(conversations, events, handoffs)
