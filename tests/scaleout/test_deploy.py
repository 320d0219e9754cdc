"""The nginx configuration generator (orienta/deploy.py) and the example shipped in deploy/."""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from orienta import deploy
from orienta.deploy import Balancer, nginx_config
from tests.scaleout.cluster import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ARGS = ["nginx", "--rasa", "10.0.0.11:5005", "--rasa", "10.0.0.12:5005", "--actions", "10.0.0.21:5055",
                "--actions", "10.0.0.22:5055", "--actions-listen", "10.0.0.10:5056"]


def test_the_example_is_the_generators_output(capsys):
    """deploy/nginx.conf.example is regenerated with: python -m orienta.deploy <EXAMPLE_ARGS>."""
    assert deploy.main(EXAMPLE_ARGS) == 0
    assert (ROOT / "deploy" / "nginx.conf.example").read_text() == capsys.readouterr().out


def _block(config: str, start: str) -> str:
    return config.split(start, 1)[1].split("}", 1)[0]


def test_rest_is_round_robin_and_socketio_is_pinned_with_websocket_upgrade():
    config = nginx_config(Balancer(rasa=["a:1", "b:2"], actions=["c:3", "d:4"]))
    rasa = _block(config, "upstream rasa {")
    assert "server a:1;" in rasa and "server b:2;" in rasa and "ip_hash" not in rasa
    socketio = _block(config, "upstream rasa_socketio {")
    assert "ip_hash;" in socketio and "server a:1;" in socketio
    assert "server c:3;" in _block(config, "upstream actions {")
    location = _block(config, "location /socket.io/ {")
    assert "proxy_pass http://rasa_socketio;" in location and "proxy_http_version 1.1;" in location
    assert "proxy_set_header Upgrade $http_upgrade;" in location
    assert "proxy_set_header Connection $connection_upgrade;" in location
    assert "/var/log/nginx/" in config and "pid " not in config


def test_a_prefix_keeps_every_runtime_file_inside_it():
    config = nginx_config(Balancer(rasa=["a:1"], actions=["c:3"], prefix="/srv/lb/"))
    for line in ("pid /srv/lb/nginx.pid;", "access_log /srv/lb/access.log balanced;",
                 "proxy_temp_path /srv/lb/tmp/proxy;", "client_body_temp_path /srv/lb/tmp/client_body;"):
        assert line in config
    assert "/var/log" not in config


def test_servers_are_required():
    with pytest.raises(ValueError, match="at least one"):
        nginx_config(Balancer(rasa=[], actions=["c:3"]))


def test_nginx_accepts_the_generated_configuration():
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if nginx is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed (.ci/run installs Debian's nginx)")
        pytest.skip("nginx not installed (apt-get install nginx)")
    prefix = Path(tempfile.mkdtemp(prefix="orienta-nginx-"))
    try:
        (prefix / "tmp").mkdir()
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_config(Balancer(rasa=["127.0.0.1:1", "127.0.0.1:2"], actions=["127.0.0.1:3"],
                                              listen=f"127.0.0.1:{free_port()}",
                                              actions_listen=f"127.0.0.1:{free_port()}", prefix=str(prefix))))
        result = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(prefix), "-e", str(prefix / "error.log")],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
