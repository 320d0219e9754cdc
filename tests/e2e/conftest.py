"""Starts the real stack (scripts/run.sh: action server + Rasa server) on free ports."""
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional

import httpx
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "e2e-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    process: subprocess.Popen
    rasa_url: str
    var_dir: Path
    demo_url: str = ""  # the demo provider page with the web widget
    settings: Dict[str, str] = field(default_factory=dict)  # what start_stack added to the environment

    def say(self, sender: str, text: str, **metadata) -> list:
        body = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def parse(self, text: str) -> dict:
        response = httpx.post(f"{self.rasa_url}/model/parse", params={"token": TOKEN}, json={"text": text}, timeout=60)
        response.raise_for_status()
        return response.json()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=90)

    def restart(self) -> None:
        """Start the same stack again (same ports, settings and var dir) after `stop()`."""
        ports = [int(self.settings[name]) for name in ("ORIENTA_RASA_PORT", "ORIENTA_ACTIONS_PORT")]
        self.process = start_stack(self.var_dir, *ports, extra_env=self.settings).process


def start_stack(var_dir: Path, rasa_port: int, actions_port: int, extra_env: Optional[Dict[str, str]] = None) -> Stack:
    """`extra_env`: more settings for this stack (e.g. messaging channels pointing at local fakes)."""
    settings = dict(
        ORIENTA_RASA_PORT=str(rasa_port),
        ORIENTA_ACTIONS_PORT=str(actions_port),
        ORIENTA_VAR_DIR=str(var_dir),
        ORIENTA_API_TOKEN=TOKEN,
        ORIENTA_DEMO_PORT=str(free_port()),
    )
    settings.update(extra_env or {})
    env = dict(os.environ, **settings)
    process = launch(env, var_dir, "stack", timeout=300)
    return Stack(process, f"http://localhost:{rasa_port}", var_dir, f"http://127.0.0.1:{env['ORIENTA_DEMO_PORT']}",
                 settings)


def launch(env: Dict[str, str], var_dir: Path, what: str, timeout: float) -> subprocess.Popen:
    """scripts/run.sh with `env` in its own process group, returned once it says it is running.

    If it does not get there within `timeout` seconds the whole group is killed and the error shows what it
    printed and the end of the servers' logs."""
    process = subprocess.Popen(
        ["bash", "scripts/run.sh"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if line.startswith("Orienta is running."):
            return process
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    logs = "".join((var_dir / "logs" / name).read_text()[-3000:] for name in ("rasa.log", "actions.log", "demo.log")
                   if (var_dir / "logs" / name).exists())
    raise RuntimeError(f"{what} did not start:\n" + "".join(seen) + logs)


@pytest.fixture(scope="session")
def ports():
    return free_port(), free_port()


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def handoff_webhook_port():
    """Where the counsellors' webhook receiver will listen; nothing does until a test starts one."""
    return free_port()


def handoff_env(webhook_port: int) -> dict:
    """Handoff settings for tests: a local webhook, quick retries and worker rounds."""
    return {"ORIENTA_HANDOFF_WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/hooks/counsellors",
            "ORIENTA_HANDOFF_WEBHOOK_FORMAT": "mattermost", "ORIENTA_HANDOFF_RETRY_SECONDS": "1",
            "ORIENTA_HANDOFF_RETRY_MAX_SECONDS": "2", "ORIENTA_HANDOFF_WORKER_SECONDS": "1"}


@pytest.fixture(scope="session")
def stack(var_dir, ports, handoff_webhook_port):
    running = start_stack(var_dir, *ports, extra_env=handoff_env(handoff_webhook_port))
    yield running
    if running.process.poll() is None:
        assert running.stop() == 0
