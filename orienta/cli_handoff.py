"""`orienta handoff list|show|resolve|worker`: requests to talk to a person, for counsellors and operators.

The store is `ORIENTA_HANDOFF_URL` (default: SQLite `handoff.db` in `var/`), or `--db URL`.
Resolving a request ends the bot's pause in that conversation at once when the
Rasa server is reachable, else the worker does it on its next round.
"""
from __future__ import annotations

import argparse
import json
import logging
from dataclasses import replace
from typing import Any, TextIO

EXIT_OK, EXIT_NOT_FOUND = 0, 2


def _settings(args: argparse.Namespace):
    from orienta.handoff.config import HandoffSettings

    settings = HandoffSettings.from_env()
    return replace(settings, database_url=args.db) if getattr(args, "db", None) else settings


def _store(args: argparse.Namespace):
    from orienta.handoff.store import HandoffStore

    return HandoffStore(_settings(args).database_url)


def _json(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from orienta.handoff.store import as_dict

    rows = _store(args).list(status=None if args.status == "all" else args.status)
    if args.json:
        _json([as_dict(row, with_contact=False) for row in rows], out)
        return EXIT_OK
    if not rows:
        out.write(f"No {args.status if args.status != 'all' else ''} handoff requests.\n".replace("  ", " "))
        return EXIT_OK
    out.write(f"{'reference':10} {'created (UTC)':17} {'status':9} {'lang':5} {'contact':8} {'delivered':10} sender\n")
    for row in rows:
        delivered = "yes" if row.notifications and all(n.delivered_at for n in row.notifications) else (
            "pending" if row.notifications else "-")
        out.write(f"{row.id:10} {row.created_at:%Y-%m-%d %H:%M} {row.status:9} {row.language:5} "
                  f"{row.contact_method:8} {delivered:10} {row.sender_id}\n")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from orienta.handoff.notify import facts
    from orienta.handoff.store import as_dict

    settings = _settings(args)
    row = _store(args).get(args.reference)
    if row is None:
        err.write(f"error: no handoff request {args.reference}\n")
        return EXIT_NOT_FOUND
    data = as_dict(row)
    if args.json:
        _json(data, out)
        return EXIT_OK
    title, rows, _ = facts(data, args.language or settings.counsellor_language)
    out.write(f"{title}\n  status: {row.status}, created {row.created_at:%Y-%m-%d %H:%M} UTC, "
              f"conversation {row.sender_id} ({row.channel or 'unknown channel'})\n")
    for label, value in rows:
        out.write(f"  {label}: {value}\n")
    for n in row.notifications:
        state = f"delivered {n.delivered_at:%Y-%m-%d %H:%M:%S}" if n.delivered_at else (
            f"not delivered yet, {n.attempts} attempt(s), next {n.next_attempt_at:%H:%M:%S}: {n.last_error or ''}")
        out.write(f"  notification: {state}\n")
    if row.resolved_at:
        out.write(f"  resolved {row.resolved_at:%Y-%m-%d %H:%M} by {row.resolved_by or '-'}: "
                  f"{row.resolution_note or ''}\n")
    return EXIT_OK


def cmd_resolve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import httpx

    from orienta.handoff.worker import end_pause

    settings = _settings(args)
    store = _store(args)
    row = store.resolve(args.reference, by=args.by, note=args.note)
    if row is None:
        err.write(f"error: no handoff request {args.reference}\n")
        return EXIT_NOT_FOUND
    with httpx.Client() as client:
        _, error = end_pause(store, settings, client, row)
    if error is None:
        out.write(f"{row.id} resolved; the learner has been told that the bot is back.\n")
    else:
        out.write(f"{row.id} resolved; the Rasa server could not be reached ({error}), "
                  "so the worker will end the pause.\n")
    return EXIT_OK


def cmd_worker(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import httpx

    from orienta.handoff.store import HandoffStore
    from orienta.handoff.worker import run_forever, run_once

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    settings = _settings(args)
    if args.once:
        with httpx.Client() as client:
            report = run_once(HandoffStore(settings.database_url), settings, client)
        out.write(f"delivered {report.delivered}, failed {report.failed}, resumed {report.resumed}\n")
        return EXIT_OK
    run_forever(settings)
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    handoff = commands.add_parser("handoff", help="requests to talk to a person (counsellors, operators)",
                                  description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    handoff.add_argument("--db", help="store URL (default: ORIENTA_HANDOFF_URL or var/handoff.db)")
    actions = handoff.add_subparsers(dest="action", required=True)
    sub = actions.add_parser("list", help="requests, oldest first (open ones by default)")
    sub.add_argument("--status", choices=("open", "resolved", "all"), default="open")
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(handler=cmd_list)
    sub = actions.add_parser("show", help="one request: summary, contact, notification state")
    sub.add_argument("reference")
    sub.add_argument("--language", help="language of the labels (default: ORIENTA_COUNSELLOR_LANGUAGE)")
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(handler=cmd_show)
    sub = actions.add_parser("resolve", help="close a request; the bot resumes the conversation")
    sub.add_argument("reference")
    sub.add_argument("--by", help="who resolved it")
    sub.add_argument("--note", help="what was done")
    sub.set_defaults(handler=cmd_resolve)
    sub = actions.add_parser("worker", help="deliver pending notifications and end pauses, in a loop")
    sub.add_argument("--once", action="store_true", help="one round, then exit")
    sub.set_defaults(handler=cmd_worker)
