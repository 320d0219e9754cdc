"""A Redis lock store whose ticket changes are atomic, so replicas cannot both hold one conversation's lock.

Rasa Open Source 3.6's `RedisLockStore` changes a lock by reading the whole serialised `TicketLock`,
changing it in Python and writing it back. Two replicas doing that at the same instant overwrite each
other: both get the same ticket (both "hold" the lock) or a ticket vanishes, and a turn's events are lost
(RasaHQ/rasa#9213). Here every change (issue a ticket, drop expired ones, finish a serve, delete the
emptied lock) is an optimistic Redis transaction (WATCH the key, MULTI/EXEC the write, retry if another
client wrote it meanwhile). The change itself is still Rasa's own `TicketLock` code on the same JSON
format, so the lock semantics (ticket numbers, `now_serving`, lifetimes, `is_someone_waiting`) are Rasa's
exactly and `LockStore.lock()` works unchanged. endpoints.yml names it with
`type: orienta_rasa.lock_store.AtomicRedisLockStore` (orienta/endpoints.py).
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# Each failed attempt means another client changed this lock, so progress is guaranteed overall; the cap
# only bounds one caller's bad luck (hundreds of concurrent turns of one conversation) and turns it into
# Rasa's LockError instead of an endless loop.
MAX_ATTEMPTS = 1000
RETRY_PAUSE_SECONDS = 0.001

# What a change asks the transaction to do with the key.
KEEP, SAVE, DELETE = "keep", "save", "delete"
Change = Callable[[Optional[TicketLock]], Tuple[str, Optional[TicketLock], Any]]


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's `RedisLockStore` with every read-modify-write of a lock done as one Redis transaction."""

    def __init__(self, *args: Any, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        """Take `RedisLockStore`'s arguments, or the `endpoint_config` Rasa passes to a custom lock store.

        Rasa 3.6 builds a lock store named by module path as `cls(endpoint_config=config)`; the config's
        `url` is the Redis host and its other keys are `RedisLockStore`'s keyword arguments.
        """
        if endpoint_config is not None:
            if args or kwargs:
                raise TypeError("give either endpoint_config or RedisLockStore's arguments, not both")
            kwargs = dict(endpoint_config.kwargs)
            if endpoint_config.url:
                kwargs["host"] = endpoint_config.url
        super().__init__(*args, **kwargs)

    def _transact(self, conversation_id: Text, change: Change) -> Any:
        """Apply `change` to the stored lock atomically and return its result.

        `change` gets the current lock (or None) and returns (KEEP|SAVE|DELETE, lock to save, result).
        It may run more than once, so it must only change the lock it is given.
        """
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline(transaction=True) as pipe:
            for attempt in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(key)
                    serialised = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(serialised)) if serialised else None
                    action, new_lock, result = change(lock)
                    if action == KEEP:
                        pipe.unwatch()
                        return result
                    pipe.multi()
                    if action == SAVE:
                        pipe.set(key, new_lock.dumps())
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    logger.debug(f"Lock for conversation '{conversation_id}' changed meanwhile; retrying.")
                    pipe.reset()
                    time.sleep(RETRY_PAUSE_SECONDS * min(attempt + 1, 10))
        raise LockError(f"The lock for conversation '{conversation_id}' changed {MAX_ATTEMPTS} times in a row.")

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue a ticket (dropping expired ones first, as Rasa does), creating the lock if there is none."""
        logger.debug(f"Issuing ticket for conversation '{conversation_id}'.")

        def issue(lock: Optional[TicketLock]) -> Tuple[str, Optional[TicketLock], Any]:
            lock = lock or self.create_lock(conversation_id)
            return SAVE, lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._transact(conversation_id, issue)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}")

    def update_lock(self, conversation_id: Text) -> None:
        """Drop the lock's expired tickets, without overwriting tickets issued meanwhile."""

        def drop_expired(lock: Optional[TicketLock]) -> Tuple[str, Optional[TicketLock], Any]:
            if lock is None:
                return KEEP, None, None
            before = len(lock.tickets)
            lock.remove_expired_tickets()
            # Waiters call this on every poll: writing an unchanged lock would only make the other
            # replicas' transactions retry.
            return (SAVE if len(lock.tickets) != before else KEEP), lock, None

        self._transact(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove ticket `ticket_number` from the lock, keeping everyone else's."""

        def remove(lock: Optional[TicketLock]) -> Tuple[str, Optional[TicketLock], Any]:
            if lock is None:
                return KEEP, None, None
            before = len(lock.tickets)
            lock.remove_ticket_for(ticket_number)  # also drops expired tickets
            return (SAVE if len(lock.tickets) != before else KEEP), lock, None

        self._transact(conversation_id, remove)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Finish serving `ticket_number` and delete the lock if nobody is waiting, in one transaction.

        Rasa does the two steps separately, so a ticket issued in between was deleted with the lock.
        """

        def finish(lock: Optional[TicketLock]) -> Tuple[str, Optional[TicketLock], Any]:
            if lock is None:
                return KEEP, None, None
            lock.remove_ticket_for(ticket_number)  # also drops expired tickets
            if lock.is_someone_waiting():
                return SAVE, lock, False
            return DELETE, None, True

        if self._transact(conversation_id, finish):
            self._log_deletion(conversation_id, deletion_successful=True)
