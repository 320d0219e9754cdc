"""AtomicRedisLockStore against a real redis-server: Rasa's lock behaviour, the replica race, key prefixes."""
from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
from typing import Callable, Iterator, List

import pytest
import redis
import yaml
from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import read_endpoint_config

from orienta.endpoints import lock_store_config
from orienta_rasa.lock_store import AtomicRedisLockStore

CONVERSATION = "learner-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    """A throwaway redis-server on a free loopback port, without persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.StrictRedis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}")
                time.sleep(0.05)
        yield port
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def red(redis_port: int) -> Iterator[redis.StrictRedis]:
    client = redis.StrictRedis(host="127.0.0.1", port=redis_port, db=0)
    client.flushall()
    yield client
    client.close()


def atomic_store(port: int, **kwargs) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(host="127.0.0.1", port=port, db=0, **kwargs)


def test_rasa_builds_it_from_the_endpoints_we_render(tmp_path, redis_port, red):
    url = f"redis://127.0.0.1:{redis_port}/0?key_prefix=orientatest"
    path = tmp_path / "endpoints.yml"
    path.write_text(yaml.safe_dump({"lock_store": lock_store_config(url)}))
    store = LockStore.create(read_endpoint_config(str(path), "lock_store"))
    assert type(store) is AtomicRedisLockStore
    connection = store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"]) == ("127.0.0.1", redis_port, 0)
    assert store.issue_ticket(CONVERSATION) == 0
    assert red.keys() == [b"orientatest:lock:" + CONVERSATION.encode()]


def test_endpoint_config_and_arguments_cannot_be_mixed(tmp_path, redis_port):
    path = tmp_path / "endpoints.yml"
    path.write_text(yaml.safe_dump({"lock_store": lock_store_config(f"redis://127.0.0.1:{redis_port}")}))
    with pytest.raises(TypeError, match="not both"):
        AtomicRedisLockStore(port=redis_port, endpoint_config=read_endpoint_config(str(path), "lock_store"))


def scripted_session(store: LockStore) -> list:
    """The same calls Rasa makes, with what each returns; expiry is driven by short lifetimes."""
    seen: list = []
    seen.append(store.is_someone_waiting(CONVERSATION))
    seen.append([store.issue_ticket(CONVERSATION, lifetime) for lifetime in (30, 30, 0.3, 30)])
    lock = store.get_lock(CONVERSATION)
    seen.append((lock.now_serving, lock.last_issued, lock.is_locked(0), lock.is_locked(1)))
    store.finish_serving(CONVERSATION, 0)
    seen.append(store.get_lock(CONVERSATION).now_serving)
    time.sleep(0.4)  # ticket 2 expires
    store.update_lock(CONVERSATION)
    seen.append([ticket.number for ticket in store.get_lock(CONVERSATION).tickets])
    seen.append(store.issue_ticket(CONVERSATION, 30))  # after the last live ticket (3)
    store.cleanup(CONVERSATION, 1)
    seen.append((store.get_lock(CONVERSATION).now_serving, store.is_someone_waiting(CONVERSATION)))
    store.cleanup(CONVERSATION, 3)
    store.cleanup(CONVERSATION, 4)  # the last one out deletes the lock
    seen.append((store.get_lock(CONVERSATION), store.is_someone_waiting(CONVERSATION)))
    seen.append(store.issue_ticket(CONVERSATION, 0.2))
    time.sleep(0.3)
    seen.append(store.issue_ticket(CONVERSATION, 30))  # every ticket expired: numbering starts again
    store.cleanup(CONVERSATION, 0)
    store.cleanup(CONVERSATION, 7)  # unknown tickets and missing locks are no error
    store.finish_serving("nobody", 0)
    store.update_lock("nobody")
    seen.append(store.get_lock(CONVERSATION))
    return seen


def test_ticket_semantics_are_exactly_rasas_in_memory_lock(redis_port, red):
    ours = scripted_session(atomic_store(redis_port))
    assert ours == scripted_session(InMemoryLockStore())
    assert ours[1] == [0, 1, 2, 3] and ours[4] == [1, 3]  # spot checks that the script exercises something
    assert red.keys() == []


def test_lock_context_manager_issues_waits_serves_and_expires(redis_port, red):
    store = atomic_store(redis_port)
    order: List[str] = []

    async def turn(name: str, hold: float) -> None:
        async with store.lock(CONVERSATION, lock_lifetime=10, wait_time_in_seconds=0.01) as lock:
            order.append(f"{name} in {lock.now_serving}")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    async def two_turns() -> None:
        first = asyncio.create_task(turn("first", 0.2))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(turn("second", 0))
        await asyncio.sleep(0.05)
        assert store.get_lock(CONVERSATION).is_someone_waiting()
        assert [t.number for t in store.get_lock(CONVERSATION).tickets] == [0, 1]
        await asyncio.gather(first, second)

    asyncio.run(two_turns())
    assert order == ["first in 0", "first out", "second in 1", "second out"]
    assert red.keys() == []  # the last turn deleted the lock

    # A replica that took ticket 0 and died never cleans up: the next turn waits for the lifetime to pass.
    store.issue_ticket(CONVERSATION, 0.5)
    started = time.monotonic()
    asyncio.run(turn("after a crash", 0))
    assert 0.4 < time.monotonic() - started < 5
    assert order[-2:] == ["after a crash in 1", "after a crash out"]
    assert red.keys() == []


def test_a_waiter_whose_lock_vanished_gets_rasas_lock_error(redis_port, red):
    store = atomic_store(redis_port)

    async def wait_behind_a_holder() -> None:
        async with store.lock(CONVERSATION, lock_lifetime=10, wait_time_in_seconds=0.01):
            pass

    store.issue_ticket(CONVERSATION, 10)
    threading.Timer(0.1, lambda: store.delete_lock(CONVERSATION)).start()
    with pytest.raises(LockError, match="Could not acquire lock"):
        asyncio.run(wait_behind_a_holder())


REPLICAS = 12


def all_at_once(count: int, work: Callable[[int], object]) -> list:
    """Run `work(i)` in `count` threads released together; exceptions are returned, not raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - reported by the test
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def simultaneous_tickets(store_class, port: int) -> list:
    stores = [store_class(host="127.0.0.1", port=port, db=0) for _ in range(REPLICAS)]
    for store in stores:
        store.red.ping()  # connect before the start, so the calls really overlap
    return all_at_once(REPLICAS, lambda i: stores[i].issue_ticket(CONVERSATION, 30))


def test_replicas_taking_tickets_at_the_same_instant_get_distinct_ones(redis_port, red):
    for _ in range(5):
        red.flushall()
        tickets = simultaneous_tickets(AtomicRedisLockStore, redis_port)
        assert sorted(tickets) == list(range(REPLICAS)), tickets
        stored = RedisLockStore(host="127.0.0.1", port=redis_port, db=0).get_lock(CONVERSATION)  # Rasa's format
        assert [ticket.number for ticket in stored.tickets] == list(range(REPLICAS))


def test_rasas_own_redis_lock_store_loses_tickets_under_the_same_load(redis_port, red):
    """The bug the subclass fixes (RasaHQ/rasa#9213), shown with the same load as the test above."""
    duplicates = 0
    for _ in range(5):
        red.flushall()
        tickets = simultaneous_tickets(RedisLockStore, redis_port)
        duplicates += len(tickets) - len(set(tickets))
    assert duplicates > 0


def serialised_turns(store_class, port: int, turns: int = 4) -> tuple:
    """Each replica serves `turns` turns of one conversation; each turn checks that it is alone inside."""
    log_key, inside_key = "test:log", "test:inside"

    def replica(i: int) -> List[str]:
        store = store_class(host="127.0.0.1", port=port, db=0)
        red = redis.StrictRedis(host="127.0.0.1", port=port, db=0)

        async def turn(n: int) -> str:
            async with store.lock(CONVERSATION, lock_lifetime=60, wait_time_in_seconds=0.005) as lock:
                others_inside = red.incr(inside_key) - 1
                red.rpush(log_key, f"{i}.{n}")
                await asyncio.sleep(0.005)
                red.decr(inside_key)
                return f"ticket {lock.now_serving}, {others_inside} others inside"

        async def turns_of_this_replica() -> List[str]:
            return [await turn(n) for n in range(turns)]

        try:
            return asyncio.run(turns_of_this_replica())
        finally:
            red.close()

    results = all_at_once(REPLICAS, replica)
    client = redis.StrictRedis(host="127.0.0.1", port=port, db=0)
    log = [entry.decode() for entry in client.lrange(log_key, 0, -1)]
    leftover_locks = client.keys("lock:*")
    client.close()
    return results, log, leftover_locks


def test_replicas_serve_one_conversation_strictly_one_turn_at_a_time(redis_port, red):
    results, log, leftover_locks = serialised_turns(AtomicRedisLockStore, redis_port)
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors
    overlaps = [line for lines in results for line in lines if not line.endswith(", 0 others inside")]
    assert not overlaps, overlaps
    assert sorted(log) == sorted(f"{i}.{n}" for i in range(REPLICAS) for n in range(4))  # every turn ran once
    assert leftover_locks == []  # the last turn out deleted the lock


def test_key_prefix_is_honoured(redis_port, red):
    staging = atomic_store(redis_port, key_prefix="staging")
    production = atomic_store(redis_port, key_prefix="orienta")
    unprefixed = atomic_store(redis_port)
    assert [staging.issue_ticket(CONVERSATION), staging.issue_ticket(CONVERSATION)] == [0, 1]
    assert production.issue_ticket(CONVERSATION) == 0  # a separate lock under its own prefix
    assert unprefixed.issue_ticket(CONVERSATION) == 0
    assert sorted(red.keys()) == [b"lock:learner-1", b"orienta:lock:learner-1", b"staging:lock:learner-1"]
    staging.cleanup(CONVERSATION, 0)
    staging.cleanup(CONVERSATION, 1)
    assert sorted(red.keys()) == [b"lock:learner-1", b"orienta:lock:learner-1"]
    assert atomic_store(redis_port, key_prefix="not-alnum").key_prefix == "lock:"  # Rasa's rule: ignored
