"""The scale-out layout on loopback, from Debian's packages: PostgreSQL, Redis, nginx, two action servers, two Rasa.

Nothing is installed here (.ci/run installs `postgresql`, `redis-server` and `nginx`); without
them the tests are skipped, except under CI where they must be present. Every process is
started in its own session and stopped, by its own id, when the `cluster()` context ends,
whatever happened inside it.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import httpx
import pytest

from orienta.deploy import Balancer, nginx_config
from tests.e2e.conftest import free_port
from tests.pg_server import psql, throwaway_postgres

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MODEL = PROJECT_ROOT / "bot" / "models" / "orienta.tar.gz"
TOKEN = "scaleout-test-token"
BASE_ENV = {"RASA_TELEMETRY_ENABLED": "false", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONUNBUFFERED": "1"}


def require(*programs: str) -> Dict[str, str]:
    """Paths of the Debian programs the layout needs; skip without them (fail under CI)."""
    found = {name: shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin") for name in programs}
    missing = [name for name, path in found.items() if not path]
    if missing:
        message = f"{', '.join(missing)} not installed (apt-get install postgresql redis-server nginx)"
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run installs them")
        pytest.skip(message)
    return found  # type: ignore[return-value]


@dataclass
class Service:
    """One started process, its log and how to tell it is ready."""

    name: str
    process: subprocess.Popen
    log: Path

    def tail(self, chars: int = 4000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log}) ---\n{text[-chars:]}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM to the process group this test started, SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start(name: str, argv: Sequence[str], log: Path, env: Optional[Dict[str, str]] = None,
          cwd: Path = PROJECT_ROOT) -> Service:
    handle = open(log, "ab")
    try:
        process = subprocess.Popen(list(argv), cwd=cwd, env=dict(os.environ, **BASE_ENV, **(env or {})),
                                   stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    finally:
        handle.close()
    return Service(name, process, log)


def wait_until(check, services: Sequence[Service], what: str, timeout: float) -> None:
    """Poll `check()` until true; fail with the logs if a service died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.HTTPError, OSError, subprocess.CalledProcessError):
            pass
        dead = [s for s in services if not s.alive()]
        if dead:
            raise RuntimeError(f"{what}: {dead[0].name} stopped\n" + "\n".join(s.tail() for s in dead))
        time.sleep(0.5)
    raise RuntimeError(f"{what}: not ready within {timeout:.0f} s\n" + "\n".join(s.tail() for s in services))


def http_ok(url: str) -> bool:
    return httpx.get(url, timeout=5).status_code == 200


def redis_cli(port: int, *command: str) -> str:
    result = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *command], check=True,
                            capture_output=True, text=True, timeout=10)
    return result.stdout


def redis_command_calls(port: int) -> Dict[str, int]:
    """Calls per Redis command so far (INFO commandstats): proof that Rasa took its locks there."""
    calls = {}
    for line in redis_cli(port, "info", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, stats = line[len("cmdstat_"):].split(":", 1)
            calls[name] = int(dict(item.split("=") for item in stats.split(","))["calls"])
    return calls


def webhook_call(action: str, text: str, language: str) -> dict:
    """What Rasa posts to an action server for `action` after the learner said `text`."""
    return {"next_action": action, "sender_id": "scaleout-actions", "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": "scaleout-actions", "slots": {"language": language}, "events": [],
                        "latest_message": {"text": text, "intent": {"name": "find_course"}, "entities": []},
                        "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen", "latest_event_time": None}}


def run_checked(argv: Sequence[str], env: Dict[str, str], cwd: Path = PROJECT_ROOT) -> str:
    result = subprocess.run(list(argv), cwd=cwd, env=dict(os.environ, **BASE_ENV, **env), capture_output=True,
                            text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class Cluster:
    root: Path
    database_url: str
    redis_port: int
    rasa: List[str]  # base URLs of the two replicas
    balancer: str  # nginx in front of them
    actions: List[str]  # base URLs of the two action servers
    actions_balancer: str  # what the replicas call (ORIENTA_ACTIONS_URL)
    index_dirs: List[Path]  # each action server's index folder
    services: Dict[str, Service] = field(default_factory=dict)

    def say(self, base_url: str, sender: str, text: str, **metadata) -> list:
        body = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = httpx.post(f"{base_url}/webhooks/rest/webhook", json=body, timeout=120)
        response.raise_for_status()
        return response.json()

    def tracker(self, base_url: str, sender: str) -> dict:
        response = httpx.get(f"{base_url}/conversations/{sender}/tracker", params={"token": TOKEN}, timeout=60)
        response.raise_for_status()
        return response.json()

    def access_log(self) -> List[str]:
        return (self.root / "nginx" / "access.log").read_text().splitlines()

    def logs(self) -> str:
        return "\n".join(service.tail() for service in self.services.values())


def _render(module: str, target: Path, env: Dict[str, str]) -> Path:
    run_checked([str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-m", module, str(target)], env)
    return target


@contextlib.contextmanager
def infrastructure(with_rasa: bool) -> Iterator[Cluster]:
    """PostgreSQL with the sample catalogue, Redis, the index, two action servers and nginx.

    With `with_rasa` the two Rasa replicas start loading their model meanwhile (`wait_for_rasa`
    waits for them), so that the index build and the model loading overlap. Every process is
    stopped when the context ends.
    """
    programs = require("redis-server", "redis-cli", "nginx")
    root = Path(tempfile.mkdtemp(prefix="orienta-scaleout-"))
    root.chmod(0o755)  # nginx's workers run as an unprivileged user when started by root
    services: Dict[str, Service] = {}
    try:
        with throwaway_postgres("orienta") as database_url:
            try:
                yield _start(root, database_url, programs, services, with_rasa)
            finally:  # the servers go before the database they use
                for service in reversed(list(services.values())):
                    service.stop()
    finally:
        for service in reversed(list(services.values())):
            service.stop()
        shutil.rmtree(root, ignore_errors=True)


def _start(root: Path, database_url: str, programs: Dict[str, str], services: Dict[str, Service],
           with_rasa: bool) -> Cluster:
    rasa_ports, action_ports = [free_port(), free_port()], [free_port(), free_port()]
    listen, actions_listen = free_port(), free_port()
    cluster = Cluster(root, database_url, free_port(), [f"http://127.0.0.1:{p}" for p in rasa_ports],
                      f"http://127.0.0.1:{listen}", [f"http://127.0.0.1:{p}" for p in action_ports],
                      f"http://127.0.0.1:{actions_listen}/webhook",
                      [root / "actions-1" / "index", root / "actions-2" / "index"], services)

    # Redis: loopback only, nothing written to disk (a lock lives for one turn).
    (root / "redis").mkdir()
    services["redis"] = start("redis", [programs["redis-server"], "--port", str(cluster.redis_port),
                                        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                        "--dir", str(root / "redis")], root / "redis" / "redis.log")
    wait_until(lambda: redis_cli(cluster.redis_port, "ping").strip() == "PONG", [services["redis"]], "Redis", 30)
    if with_rasa:
        _launch_rasa(cluster, 1)

    # The catalogue in PostgreSQL; the index built once and shipped as a folder to the second server.
    catalogue = {"ORIENTA_CATALOGUE_URL": database_url}
    orienta = str(PROJECT_ROOT / ".venv" / "bin" / "orienta")
    run_checked([orienta, "catalogue", "import", "catalogue_index/sample/", "--db", database_url], {})
    if with_rasa:
        # The first replica creates the tracker tables; the second starts once they exist
        # (two processes running CREATE TABLE at once can collide in PostgreSQL's catalog).
        wait_until(lambda: psql(database_url, "select to_regclass('events') is not null") == "t",
                   [services["rasa-1"]], "the tracker tables", 300)
        _launch_rasa(cluster, 2)
    run_checked([orienta, "index", "build", "--index-dir", str(cluster.index_dirs[0])], catalogue)
    shutil.copytree(cluster.index_dirs[0], cluster.index_dirs[1], symlinks=True)

    nginx_dir = root / "nginx"
    (nginx_dir / "tmp").mkdir(parents=True)
    conf = nginx_dir / "nginx.conf"
    conf.write_text(nginx_config(Balancer(
        rasa=[f"127.0.0.1:{p}" for p in rasa_ports], actions=[f"127.0.0.1:{p}" for p in action_ports],
        listen=f"127.0.0.1:{listen}", actions_listen=f"127.0.0.1:{actions_listen}", prefix=str(nginx_dir),
        worker_processes="1")))
    services["nginx"] = start("nginx", [programs["nginx"], "-c", str(conf), "-p", str(nginx_dir),
                                        "-e", str(nginx_dir / "error.log"), "-g", "daemon off;"],
                              nginx_dir / "nginx.out")

    python = str(PROJECT_ROOT / ".venv" / "bin" / "python")
    for number, (port, index_dir) in enumerate(zip(action_ports, cluster.index_dirs), 1):
        var_dir = index_dir.parent
        services[f"actions-{number}"] = start(
            f"actions-{number}", [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            var_dir / "actions.log", {**catalogue, "SANIC_HOST": "127.0.0.1", "ORIENTA_VAR_DIR": str(var_dir)})
    everything = list(services.values())
    for number, port in enumerate(action_ports, 1):
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/health"), everything, f"actions-{number}", 120)
    wait_until(lambda: http_ok(f"http://127.0.0.1:{actions_listen}/health"), everything, "nginx", 30)
    # Warm up both action servers at once, directly: the first search of a process loads the model and index.
    warm_up = webhook_call("action_search_courses", "heat pump installation course", "en")
    with ThreadPoolExecutor(len(action_ports)) as pool:
        answers = list(pool.map(lambda port: httpx.post(f"http://127.0.0.1:{port}/webhook", json=warm_up,
                                                        timeout=600), action_ports))
    if any(answer.status_code != 200 for answer in answers):
        raise RuntimeError("an action server failed its first search\n" + "\n".join(s.tail() for s in everything))
    return cluster


def _launch_rasa(cluster: Cluster, number: int) -> None:
    """Start replica `number`: PostgreSQL tracker store, Redis lock store, actions through nginx."""
    url = cluster.rasa[number - 1]
    port = url.rsplit(":", 1)[1]
    var_dir = cluster.root / f"rasa-{number}"
    var_dir.mkdir()
    env = {"ORIENTA_TRACKER_STORE_URL": cluster.database_url,
           "ORIENTA_LOCK_STORE_URL": f"redis://127.0.0.1:{cluster.redis_port}/0",
           "ORIENTA_ACTIONS_URL": cluster.actions_balancer, "ORIENTA_API_TOKEN": TOKEN,
           "ORIENTA_VAR_DIR": str(var_dir), "ORIENTA_RASA_PORT": port,
           "OMP_NUM_THREADS": os.environ.get("ORIENTA_NLU_THREADS", "1"),  # as scripts/run.sh does
           "PYTHONPATH": f"{PROJECT_ROOT / 'bot'}:{PROJECT_ROOT}"}
    endpoints = _render("orienta.endpoints", var_dir / "endpoints.yml", env)
    credentials = _render("orienta.credentials", var_dir / "credentials.yml", env)
    name = f"rasa-{number}"
    cluster.services[name] = start(
        name, [str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"), "run", "--model", str(MODEL), "--port", port,
               "--interface", "127.0.0.1", "--enable-api", "--auth-token", TOKEN, "--endpoints", str(endpoints),
               "--credentials", str(credentials)],
        var_dir / "rasa.log", env, cwd=PROJECT_ROOT / "bot")


def require_model() -> None:
    if not MODEL.exists():
        if os.environ.get("CI"):
            pytest.fail(f"no trained model at {MODEL} (make model)")
        pytest.skip(f"no trained model at {MODEL} (make model)")


def wait_for_rasa(cluster: Cluster) -> None:
    """Both replicas answering (they were started by `infrastructure(with_rasa=True)`)."""
    require_model()
    if "rasa-1" not in cluster.services:
        pytest.fail("the Rasa replicas were not started (the model appeared after the layout was set up)")
    everything = list(cluster.services.values())
    for number, url in enumerate(cluster.rasa, 1):
        wait_until(lambda: http_ok(f"{url}/status?token={TOKEN}"), everything, f"rasa-{number}", 600)
