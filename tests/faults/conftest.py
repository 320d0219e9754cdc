"""The action server and the Rasa server as two separately killable processes (scripts/run.sh, ORIENTA_START)."""
import json
import os
import re
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional

import httpx
import pytest

from tests.e2e.conftest import PROJECT_ROOT, TOKEN, free_port, launch


SAMPLE = PROJECT_ROOT / "catalogue_index" / "sample"
HEAT_PUMP_OFFER = re.compile(r"pomp|crpalk|siurbl|heat-pump")


def write_small_catalogue(path: Path, every: int = 8) -> int:
    """A slice of the sample catalogue (all heat-pump offers, every `every`-th other one, their providers):
    searches behave as on the full one, and its index builds in seconds instead of minutes."""
    offers = [json.loads(line) for f in sorted(SAMPLE.glob("offers-*.jsonl")) for line in f.read_text().splitlines()
              if line.strip()]
    kept = [o for n, o in enumerate(offers) if HEAT_PUMP_OFFER.search(o["id"]) or n % every == 0]
    ids = {o["id"] for o in kept}
    kept = [o for o in kept if set(o.get("prerequisite_offers") or []) <= ids]
    providers = {o["provider"] for o in kept} | {b for o in kept for b in o.get("awarding_bodies") or []}
    records = [json.loads(line) for f in sorted(SAMPLE.glob("providers-*.jsonl")) for line in f.read_text().splitlines()
               if line.strip() and json.loads(line)["id"] in providers]
    with path.open("w", encoding="utf-8") as out:
        for record in records + kept:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(kept)


def orienta_cli(var_dir: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """The `orienta` command on the catalogue store and index in `var_dir`."""
    env = dict(os.environ, ORIENTA_VAR_DIR=str(var_dir))
    env.pop("ORIENTA_CATALOGUE_URL", None)
    return subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "orienta"), *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=True)


def start_part(part: str, var_dir: Path, rasa_port: int, actions_port: int) -> subprocess.Popen:
    """`ORIENTA_START=<part> scripts/run.sh`, returned once it says it is running (own process group)."""
    env = dict(os.environ, ORIENTA_START=part, ORIENTA_RASA_PORT=str(rasa_port),
               ORIENTA_ACTIONS_PORT=str(actions_port), ORIENTA_VAR_DIR=str(var_dir), ORIENTA_API_TOKEN=TOKEN,
               ORIENTA_START_TIMEOUT="540")
    return launch(env, var_dir, part, timeout=600)


def kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the whole process group (run.sh and the server it started), as a crash or an operator would."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    process.wait(timeout=90)


@dataclass
class SplitStack:
    var_dir: Path
    rasa_port: int
    actions_port: int
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://localhost:{self.rasa_port}"

    def start(self, part: str) -> None:
        self.processes[part] = start_part(part, self.var_dir, self.rasa_port, self.actions_port)

    def kill(self, part: str) -> None:
        kill(self.processes.pop(part))

    def post(self, sender: str, text: str, language: Optional[str] = None) -> httpx.Response:
        body = {"sender": sender, "message": text}
        if language:
            body["metadata"] = {"language": language}
        return httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=120)

    def say(self, sender: str, text: str, language: Optional[str] = None) -> list:
        response = self.post(sender, text, language)
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict:
        response = httpx.get(f"{self.rasa_url}/conversations/{sender}/tracker", params={"token": TOKEN}, timeout=60)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        for part in list(self.processes):
            kill(self.processes.pop(part), signal.SIGINT)


@pytest.fixture(scope="module")
def split_stack(tmp_path_factory):
    stack = SplitStack(tmp_path_factory.mktemp("faults-var"), free_port(), free_port())
    catalogue = stack.var_dir / "small-catalogue.jsonl"
    write_small_catalogue(catalogue)
    orienta_cli(stack.var_dir, "catalogue", "import", str(catalogue))  # run.sh then keeps it (--if-empty)
    stack.start("actions")
    stack.start("rasa")
    yield stack
    stack.stop()
