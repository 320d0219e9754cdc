"""Handoff requests and their pending notifications, stored with SQLAlchemy.

A request and its notification are written in one transaction (an outbox), so
a notification can fail any number of times and is still delivered later: it is
never lost. SQLite is the embedded default; PostgreSQL works the same.
"""
from __future__ import annotations

import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterator, List, Optional

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker
from sqlalchemy.types import TypeDecorator

from catalogue_index.db import get_engine

OPEN, RESOLVED = "open", "resolved"
STATUSES = (OPEN, RESOLVED)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class HandoffRequest(Base):
    """A learner's request to talk to a person, with what the counsellor needs to know."""

    __tablename__ = "handoff_requests"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    channel: Mapped[Optional[str]] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    contact_method: Mapped[str] = mapped_column(String(16))  # email | phone | chat
    contact: Mapped[Optional[str]] = mapped_column(String(320))
    summary: Mapped[Dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    pause_until: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the bot was told that the pause is over (by a counsellor or the timeout); None while paused.
    resumed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    resolved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    resolved_by: Mapped[Optional[str]] = mapped_column(String(255))
    resolution_note: Mapped[Optional[str]] = mapped_column(Text)

    notifications: Mapped[List["HandoffNotification"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="HandoffNotification.id")


class HandoffNotification(Base):
    """One message to the counsellors' webhook, retried until delivered."""

    __tablename__ = "handoff_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("handoff_requests.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    payload: Mapped[Dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime(), index=True)
    last_error: Mapped[Optional[str]] = mapped_column(Text)

    request: Mapped[HandoffRequest] = relationship(back_populates="notifications")


@dataclass(frozen=True)
class NewRequest:
    sender_id: str
    language: str
    contact_method: str
    contact: Optional[str]
    summary: Dict[str, Any]
    channel: Optional[str] = None


def new_reference() -> str:
    """A short reference a learner can quote (e.g. "H-7KQ2M9"), without look-alike characters."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "H-" + "".join(secrets.choice(alphabet) for _ in range(6))


class HandoffStore:
    """Requests and the notification outbox in one SQL database."""

    def __init__(self, url: str) -> None:
        self.engine = get_engine(url)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def create(self, request: NewRequest, pause: timedelta, webhook_url: Optional[str] = None,
               render: Optional[Callable[[Dict[str, Any]], Dict[str, Any]]] = None,
               now: Optional[datetime] = None) -> HandoffRequest:
        """Store a request and, when a webhook is configured, its notification (`render` of the request),
        in one transaction."""
        now = now or utcnow()
        with self.session() as session:
            row = HandoffRequest(
                id=new_reference(), sender_id=request.sender_id, channel=request.channel,
                language=request.language, contact_method=request.contact_method, contact=request.contact,
                summary=request.summary, status=OPEN, created_at=now, pause_until=now + pause)
            if webhook_url and render is not None:
                row.notifications.append(HandoffNotification(url=webhook_url, payload=render(as_dict(row)),
                                                             next_attempt_at=now, attempts=0))
            session.add(row)
            session.flush()
            _ = row.notifications
            return row

    def get(self, request_id: str) -> Optional[HandoffRequest]:
        with self.session() as session:
            row = session.get(HandoffRequest, request_id.strip().upper())
            if row is not None:
                _ = row.notifications  # loaded while the session is open
            return row

    def list(self, status: Optional[str] = OPEN, sender_id: Optional[str] = None) -> List[HandoffRequest]:
        with self.session() as session:
            query = select(HandoffRequest).order_by(HandoffRequest.created_at)
            if status:
                query = query.where(HandoffRequest.status == status)
            if sender_id:
                query = query.where(HandoffRequest.sender_id == sender_id)
            rows = list(session.scalars(query))
            for row in rows:
                _ = row.notifications
            return rows

    def latest_for(self, sender_id: str) -> Optional[HandoffRequest]:
        rows = self.list(status=None, sender_id=sender_id)
        return rows[-1] if rows else None

    def resolve(self, request_id: str, by: Optional[str], note: Optional[str],
                now: Optional[datetime] = None) -> Optional[HandoffRequest]:
        """Mark a request resolved; the bot's pause ends with it (the worker tells the learner)."""
        now = now or utcnow()
        with self.session() as session:
            row = session.get(HandoffRequest, request_id.strip().upper())
            if row is None:
                return None
            if row.status != RESOLVED:
                row.status, row.resolved_at, row.resolved_by, row.resolution_note = RESOLVED, now, by, note
                if row.pause_until > now:
                    row.pause_until = now
            return row

    def claim_resume(self, request_id: str, now: Optional[datetime] = None) -> bool:
        """Take the telling of the conversation that its pause is over; False if another process has it.

        The command that resolves a request and the worker both end pauses: one atomic
        update lets exactly one of them run the end-of-pause action in the conversation."""
        with self.session() as session:
            claimed = session.execute(update(HandoffRequest)
                                      .where(HandoffRequest.id == request_id, HandoffRequest.resumed_at.is_(None))
                                      .values(resumed_at=now or utcnow()))
            return claimed.rowcount == 1

    def release_resume(self, request_id: str) -> None:
        """The conversation could not be told: the worker tries again."""
        with self.session() as session:
            session.execute(update(HandoffRequest).where(HandoffRequest.id == request_id).values(resumed_at=None))

    def pauses_to_end(self, now: Optional[datetime] = None) -> List[HandoffRequest]:
        """Requests whose pause is over (resolved or timed out) but the conversation was not told yet."""
        now = now or utcnow()
        with self.session() as session:
            query = select(HandoffRequest).where(HandoffRequest.resumed_at.is_(None),
                                                 HandoffRequest.pause_until <= now)
            return list(session.scalars(query))

    def due_notifications(self, now: Optional[datetime] = None, limit: int = 50) -> List[HandoffNotification]:
        now = now or utcnow()
        with self.session() as session:
            query = (select(HandoffNotification)
                     .where(HandoffNotification.delivered_at.is_(None), HandoffNotification.next_attempt_at <= now)
                     .order_by(HandoffNotification.next_attempt_at).limit(limit))
            return list(session.scalars(query))

    def record_attempt(self, notification_id: int, error: Optional[str], retry_after: timedelta,
                       now: Optional[datetime] = None) -> None:
        """Record one delivery attempt: delivered (no error), or due again after `retry_after`."""
        now = now or utcnow()
        with self.session() as session:
            row = session.get(HandoffNotification, notification_id)
            if row is None:
                return
            row.attempts += 1
            if error is None:
                row.delivered_at, row.last_error = now, None
            else:
                row.last_error, row.next_attempt_at = error[:1000], now + retry_after

    def forget(self, sender_id: str) -> int:
        """Delete every request (and notification) of one learner; returns how many requests."""
        with self.session() as session:
            rows = list(session.scalars(select(HandoffRequest).where(HandoffRequest.sender_id == sender_id)))
            for row in rows:
                session.delete(row)
            return len(rows)

    def purge_before(self, cutoff: datetime) -> int:
        """Delete resolved requests older than the retention period."""
        with self.session() as session:
            rows = list(session.scalars(select(HandoffRequest).where(
                HandoffRequest.status == RESOLVED, HandoffRequest.created_at < cutoff)))
            for row in rows:
                session.delete(row)
            return len(rows)


def as_dict(row: HandoffRequest, with_contact: bool = True) -> Dict[str, Any]:
    """A request as plain data (CLI --json, privacy export)."""
    def iso(value: Optional[datetime]) -> Optional[str]:
        return value.isoformat() if value else None

    data = {
        "id": row.id, "sender_id": row.sender_id, "channel": row.channel, "language": row.language,
        "status": row.status, "created_at": iso(row.created_at), "pause_until": iso(row.pause_until),
        "resumed_at": iso(row.resumed_at), "resolved_at": iso(row.resolved_at), "resolved_by": row.resolved_by,
        "resolution_note": row.resolution_note, "contact_method": row.contact_method, "summary": row.summary,
        "notifications": [{"attempts": n.attempts or 0, "delivered_at": iso(n.delivered_at),
                           "next_attempt_at": iso(n.next_attempt_at), "last_error": n.last_error}
                          for n in row.notifications],
    }
    if with_contact:
        data["contact"] = row.contact
    return data
