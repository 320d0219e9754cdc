"""The lock files pin every direct dependency, so a clean machine installs what the code imports."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def locked(path: Path) -> dict:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def requirement_name(spec: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0]).lower()


def test_app_lock_pins_every_direct_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    pins = locked(ROOT / "requirements" / "app.lock")
    missing = [spec for spec in specs if requirement_name(spec) not in pins]
    assert not missing, f"run `make lock`: {missing}"


def test_rasa_lock_pins_every_direct_dependency():
    specs = [line.split("#")[0].strip() for line in (ROOT / "requirements" / "rasa.in").read_text().splitlines()]
    pins = locked(ROOT / "requirements" / "rasa.lock")
    missing = [spec for spec in specs if spec and requirement_name(spec) not in pins]
    assert not missing, f"run `make lock`: {missing}"
