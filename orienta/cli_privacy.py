"""`orienta privacy export|forget SENDER_ID` and `orienta privacy cleanup`: a learner's data (README, "Privacy").

`export` prints everything stored about one conversation (its events and any
handoff request) as JSON; `forget` deletes it; `cleanup` deletes conversations
older than `ORIENTA_RETENTION_DAYS` (default 180) and is run by `make run` on start.
"""
from __future__ import annotations

import argparse
import json
from typing import TextIO

EXIT_OK = 0


def _data(args: argparse.Namespace):
    from orienta.handoff.config import HandoffSettings
    from orienta.privacy import LearnerData
    from orienta.settings import Settings

    return LearnerData(Settings.from_env().tracker_store, HandoffSettings.from_env().database_url)


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    json.dump(_data(args).export(args.sender_id), out, ensure_ascii=False, indent=2)
    out.write("\n")
    return EXIT_OK


def cmd_forget(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    removed = _data(args).forget(args.sender_id)
    out.write(f"Deleted {removed['events']} conversation events and {removed['handoff_requests']} handoff "
              f"requests of {args.sender_id}.\n")
    return EXIT_OK


def cmd_cleanup(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from orienta.privacy import retention_days

    days = args.days if args.days is not None else retention_days()
    done = _data(args).cleanup(days)
    out.write(f"Retention {days} days: deleted {done.conversations} conversations ({done.events} events) and "
              f"{done.handoffs} resolved handoff requests.\n" if days else "Retention is off (0 days).\n")
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    privacy = commands.add_parser("privacy", help="a learner's data: export, forget, retention",
                                  description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = privacy.add_subparsers(dest="action", required=True)
    sub = actions.add_parser("export", help="everything stored about one conversation, as JSON")
    sub.add_argument("sender_id")
    sub.set_defaults(handler=cmd_export)
    sub = actions.add_parser("forget", help="delete one conversation and its handoff requests")
    sub.add_argument("sender_id")
    sub.set_defaults(handler=cmd_forget)
    sub = actions.add_parser("cleanup", help="delete conversations older than the retention period")
    sub.add_argument("--days", type=int, help="override ORIENTA_RETENTION_DAYS")
    sub.set_defaults(handler=cmd_cleanup)
