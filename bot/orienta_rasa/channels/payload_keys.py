"""Short keys for button payloads that do not fit Telegram's 64-byte callback_data.

`/explain_offer{"offer_id": "ofr-..."}` is usually longer than 64 bytes, so the
button carries a short key instead, resolved back when it is pressed. The key
is a hash of the payload (the same payload always gets the same key) and the
mapping is kept in a small SQLite file in the var directory, so buttons keep
working after a restart; the least recently used entries beyond `max_entries`
are dropped, and a button whose key is gone is answered as expired.
"""
from __future__ import annotations

import base64
import hashlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Optional

KEY_PREFIX = "#"
CALLBACK_DATA_LIMIT = 64  # bytes (Telegram Bot API, InlineKeyboardButton.callback_data)


def payload_key(payload: str) -> str:
    """'#' and 22 URL-safe characters (128 bits of SHA-256): 23 bytes."""
    digest = hashlib.sha256(payload.encode("utf-8")).digest()[:16]
    return KEY_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class PayloadKeys:
    """payload <-> callback_data; `path=None` keeps the mapping in memory (one process, lost on restart)."""

    def __init__(self, path: Optional[str] = None, max_entries: int = 100_000) -> None:
        self.path = path
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._db: Optional[sqlite3.Connection] = None
        self._writes = 0

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            if self.path:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path or ":memory:", check_same_thread=False, isolation_level=None)
            self._db.execute("CREATE TABLE IF NOT EXISTS payload_keys "
                             "(key TEXT PRIMARY KEY, payload TEXT NOT NULL, used_at REAL NOT NULL)")
        return self._db

    def callback_data(self, payload: str) -> str:
        """The payload itself when it fits (and cannot be mistaken for a key), else its stored short key."""
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(KEY_PREFIX):
            return payload
        key = payload_key(payload)
        with self._lock:
            db = self._connection()
            db.execute("INSERT INTO payload_keys (key, payload, used_at) VALUES (?, ?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET used_at = excluded.used_at", (key, payload, time.time()))
            self._writes += 1
            if self._writes % 1000 == 0:
                self._prune(db)
        return key

    def _prune(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM payload_keys WHERE key NOT IN "
                   "(SELECT key FROM payload_keys ORDER BY used_at DESC LIMIT ?)", (self.max_entries,))

    def resolve(self, callback_data: str) -> Optional[str]:
        """The payload a pressed button stands for; None for a key that is not (or no longer) known."""
        if not callback_data.startswith(KEY_PREFIX):
            return callback_data
        with self._lock:
            row = self._connection().execute("SELECT payload FROM payload_keys WHERE key = ?",
                                             (callback_data,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
