"""The nginx configuration for Orienta beyond one process: Rasa replicas and action servers behind one balancer.

Plain round robin is enough for the REST channel and the HTTP API, because every
Rasa replica reads and writes the same tracker store and takes the same Redis
lock per conversation (endpoints.py), so any replica can take any turn. The
socket.io channel is different: its handshake and its polling requests must reach
the same process, so `/socket.io/` goes to a second upstream pinned by client
address (`ip_hash`) with the WebSocket upgrade headers. Requests are not retried
on another server after they were sent (nginx's default for POST), so an action
never runs twice.

`python -m orienta.deploy nginx --rasa HOST:PORT ... --actions HOST:PORT ...` prints a
configuration; deploy/nginx.conf.example is its output for the documented layout,
and tests/scaleout starts nginx from it on loopback.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import List, Optional, Sequence

# The access log names the upstream that served each request: the scale-out test reads it,
# and an operator sees at a glance whether every replica takes its share.
LOG_FORMAT = '$remote_addr [$time_local] "$request" $status upstream=$upstream_addr rt=$request_time'


@dataclass(frozen=True)
class Balancer:
    """What the nginx configuration needs to know."""

    rasa: Sequence[str]  # host:port of each Rasa replica
    actions: Sequence[str]  # host:port of each action server
    listen: str = "0.0.0.0:80"  # where learners' channels (REST, socket.io) and the HTTP API arrive
    actions_listen: str = "127.0.0.1:5056"  # where the Rasa replicas call the actions (ORIENTA_ACTIONS_URL)
    prefix: Optional[str] = None  # run without root paths: pid, logs and temp files under this folder
    worker_processes: str = "auto"


def _servers(addresses: Sequence[str]) -> str:
    return "".join(f"        server {address};\n" for address in addresses)


def nginx_config(balancer: Balancer) -> str:
    """The nginx.conf text for `balancer`."""
    if not balancer.rasa or not balancer.actions:
        raise ValueError("at least one Rasa server and one action server are needed")
    prefix = balancer.prefix.rstrip("/") if balancer.prefix else None
    runtime = ""
    if prefix:
        runtime = (f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log info;\n")
        temp = "".join(f"    {kind}_temp_path {prefix}/tmp/{kind};\n"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        access = f"    access_log {prefix}/access.log balanced;\n"
    else:
        temp = ""
        access = "    access_log /var/log/nginx/orienta.access.log balanced;\n"
    return f"""# Orienta behind nginx (orienta/deploy.py; README, "Running on more than one machine").
worker_processes {balancer.worker_processes};
{runtime}
events {{
    worker_connections 1024;
}}

http {{
    log_format balanced '{LOG_FORMAT}';
{access}{temp}
    # Rasa replicas for REST and the HTTP API: any replica can take any turn (shared tracker store + Redis lock).
    upstream rasa {{
{_servers(balancer.rasa)}    }}

    # socket.io needs every request of one session on the same replica: pin clients by address.
    upstream rasa_socketio {{
        ip_hash;
{_servers(balancer.rasa)}    }}

    # Action servers: stateless (the conversation state is in the tracker), so plain round robin.
    upstream actions {{
{_servers(balancer.actions)}    }}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}

    server {{
        listen {balancer.listen};
        client_max_body_size 1m;

        location /socket.io/ {{
            proxy_pass http://rasa_socketio;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1h;
        }}

        location / {{
            proxy_pass http://rasa;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # a turn may wait for the conversation's lock and for a search
            proxy_read_timeout 120s;
        }}
    }}

    server {{
        listen {balancer.actions_listen};

        location / {{
            proxy_pass http://actions;
            # Rasa's own limit for an action call (the first search of a new server loads the model)
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


def main(argv: Optional[List[str]] = None, out=None) -> int:
    """`python -m orienta.deploy nginx --rasa 10.0.0.11:5005 --rasa 10.0.0.12:5005 --actions ...`."""
    parser = argparse.ArgumentParser(prog="python -m orienta.deploy", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    nginx = commands.add_parser("nginx", help="print an nginx.conf for Rasa replicas and action servers")
    nginx.add_argument("--rasa", action="append", required=True, metavar="HOST:PORT", help="a Rasa replica")
    nginx.add_argument("--actions", action="append", required=True, metavar="HOST:PORT", help="an action server")
    nginx.add_argument("--listen", default=Balancer.listen, help="address for channels and the API")
    nginx.add_argument("--actions-listen", default=Balancer.actions_listen, help="address Rasa calls for actions")
    nginx.add_argument("--prefix", help="keep pid, logs and temp files in this folder (no root paths)")
    nginx.add_argument("--worker-processes", default=Balancer.worker_processes)
    args = parser.parse_args(argv)
    (out or sys.stdout).write(nginx_config(Balancer(args.rasa, args.actions, args.listen, args.actions_listen, args.prefix,
                                    args.worker_processes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
