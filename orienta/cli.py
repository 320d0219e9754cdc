"""The `orienta` command: `orienta catalogue import|validate|export|stats`, `orienta search`, `orienta index build`,
`orienta handoff list|show|resolve|worker` (orienta/cli_handoff.py), `orienta privacy export|forget|cleanup`
(orienta/cli_privacy.py).

Output is written for a person by default and as JSON with `--json` (for
scripts); problems go to stderr and the exit status is non-zero. The store is
`ORIENTA_CATALOGUE_URL` (default: SQLite in `var/`), or `--db URL`.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO

from orienta import cli_handoff, cli_privacy

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 3
TYPE_LABELS = {"provider": "providers", "offer": "offers", "pathway": "pathways", "recognition": "recognition statements"}


class _Progress:
    """A progress bar on stderr when it is a terminal (tqdm), silent otherwise."""

    def __init__(self, total: int, label: str, enabled: bool) -> None:
        self._bar = None
        if enabled and total and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, unit="rec", file=sys.stderr, leave=False)

    def __call__(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _print_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _store(args: argparse.Namespace):
    from catalogue_index.store import CatalogueStore

    return CatalogueStore.from_url(args.db)


def _load(args: argparse.Namespace):
    from catalogue_index.importers import load

    return load(args.source, args.format, args.mapping)


def _table(rows: Dict[str, Dict[str, int]], columns: Sequence[str]) -> List[str]:
    lines = [f"  {'':24}" + "".join(f"{name:>11}" for name in columns)]
    for record_type, label in TYPE_LABELS.items():
        lines.append(f"  {label:24}" + "".join(f"{rows[name][record_type]:>11}" for name in columns))
    return lines


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    store = _store(args)
    if args.if_empty:
        offers = store.stats()["counts"]["offer"]
        if offers:
            if args.json:
                _print_json({"ok": True, "skipped": True, "offers": offers}, out)
            else:
                out.write(f"The catalogue already holds {offers} offers; nothing imported (--if-empty).\n")
            return EXIT_OK
    loaded = _load(args)
    progress = _Progress(len(loaded.records), "importing", not args.json)
    try:
        report = store.import_records(loaded.records, source=loaded.source, format=loaded.format,
                                      issues=loaded.issues, progress=progress, dry_run=args.dry_run)
    finally:
        progress.close()
    if args.json:
        _print_json({"ok": True, **report.as_dict()}, out)
        return EXIT_OK
    verb = "Checked (dry run, nothing written)" if args.dry_run else "Imported"
    out.write(f"{verb} {loaded.source} ({loaded.format}): {report.total} records\n")
    out.write("\n".join(_table({"created": report.created, "updated": report.updated,
                                "unchanged": report.unchanged}, ("created", "updated", "unchanged"))) + "\n")
    for warning in report.warnings:
        err.write(f"warning: {warning}\n")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from catalogue_index.validation import check, count_by_type

    loaded = _load(args)
    known = _store(args).known_ids() if args.against_store else None
    records, warnings = check(loaded.records, loaded.issues, known)
    counts = count_by_type(records)
    if args.json:
        _print_json({"ok": True, "source": loaded.source, "format": loaded.format, "counts": counts,
                     "warnings": [w.as_dict() for w in warnings]}, out)
        return EXIT_OK
    summary = ", ".join(f"{n} {TYPE_LABELS[t]}" for t, n in counts.items() if n)
    out.write(f"{loaded.source} ({loaded.format}) is valid: {summary or 'no records'}\n")
    for warning in warnings:
        err.write(f"warning: {warning}\n")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    store = _store(args)
    if not args.output or args.output == "-":
        count = store.export(out)
    else:
        target = Path(args.output)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.",
                                             suffix=".tmp", delete=False)
        try:
            with handle:
                count = store.export(handle)
            os.replace(handle.name, target)  # a reader never sees half an export
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
    if args.output and args.output != "-":
        message = {"ok": True, "output": args.output, "records": count}
        if args.json:
            _print_json(message, out)
        else:
            out.write(f"Exported {count} records to {args.output}\n")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    stats = _store(args).stats()
    if args.json:
        _print_json(stats, out)
        return EXIT_OK
    counts, offers = stats["counts"], stats["offers"]
    out.write(f"Catalogue at {stats['url']}\n")
    for record_type, label in TYPE_LABELS.items():
        out.write(f"  {label:24}{counts[record_type]:>8}\n")
    if counts["offer"]:
        out.write(f"  {'sample offers':24}{offers['sample']:>8}\n")
        out.write(f"  {'offers stating every Annex I element':38}{offers['annex1_complete']:>8}\n")
        for key, title in (("by_language", "languages of instruction"), ("by_mode", "form of participation"),
                           ("by_eqf_level", "EQF level"), ("by_country", "provider country")):
            shown = ", ".join(f"{name} {n}" for name, n in list(offers[key].items())[:12])
            out.write(f"  {title}: {shown}\n")
    last = stats["last_import"]
    if last:
        out.write(f"Last import: {last['source']} ({last['format']}) at {last['finished_at']}: "
                  f"{last['created']} created, {last['updated']} updated, {last['unchanged']} unchanged\n")
    return EXIT_OK


def _search_service(args: argparse.Namespace):
    from catalogue_index.search import SearchService

    return SearchService(store=_store(args), index_dir=Path(args.index_dir) if args.index_dir else None)


def cmd_index_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Bring the search index up to date with the store (rebuilt only if stale)."""
    import time

    started = time.perf_counter()
    engine = _search_service(args).engine()
    meta = engine.vectors.metadata
    seconds = time.perf_counter() - started
    if args.json:
        _print_json({"ok": True, "offers": len(engine), "vectors": meta.count, "kind": meta.kind,
                     "model": meta.model, "fingerprint": meta.fingerprint, "seconds": round(seconds, 2)}, out)
    else:
        out.write(f"Search index ready: {len(engine)} offers, {meta.count} vectors ({meta.kind}), "
                  f"model {meta.model}, {seconds:.1f} s\n")
    return EXIT_OK


def _describe_hits(engine, hits, language: Optional[str]) -> List[Dict[str, Any]]:
    """What a person or a script needs to see of each hit, read in one session."""
    from catalogue_index.filters import eur_rates
    from catalogue_index.models import Offer
    from catalogue_index.search import offer_document

    described = []
    rates = eur_rates()
    with engine.store.session() as session:
        for hit in hits:
            offer = session.get(Offer, hit.offer_id)
            facets = offer_document(offer, rates).facets
            price = ("free" if offer.price_free else
                     f"{offer.price_amount:g} {offer.price_currency}" if offer.price_amount is not None else None)
            described.append({
                "offer_id": hit.offer_id, "title": offer.text("title", language),
                "title_is_original": not (offer.title or {}).get(language or offer.original_language),
                "provider": offer.provider.text("name", language), "url": offer.url, "price": price,
                "country": facets.country, "ects": facets.ects, "hours": facets.hours,
                "eqf_level": facets.eqf_level, "mode": facets.mode, "languages": list(facets.languages),
                "start_date": facets.start_date.isoformat() if facets.start_date else None,
                "self_paced": facets.self_paced, "score": round(hit.score, 5), "dense_rank": hit.dense_rank,
                "lexical_rank": hit.lexical_rank})
    return described


def cmd_search(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from catalogue_index.filters import parse_filter_args

    try:
        filters = parse_filter_args(args.filter or [])
    except ValueError as error:
        err.write(f"error: {error}\n")
        return EXIT_INVALID
    engine = _search_service(args).engine()
    result = engine.search(args.query, filters, top_k=args.top_k, ranker=args.ranker)
    hits = _describe_hits(engine, result.hits, args.lang)
    if args.json:
        _print_json({"ok": True, "query": args.query, "filters": filters.as_dict(),
                     "applied_filters": result.filters.as_dict(), "relaxed": result.relaxed,
                     "matching_filters": result.total, "took_ms": round(result.took_ms, 1), "hits": hits}, out)
        return EXIT_OK
    if result.relaxed:
        out.write(f"Nothing met every filter; dropped: {', '.join(result.relaxed)}\n")
    if not hits:
        out.write("No offers found.\n")
    for n, hit in enumerate(hits, 1):
        marker = " (original title)" if hit["title_is_original"] and args.lang else ""
        facts = [hit["provider"], hit["country"], f"{hit['ects']:g} ECTS" if hit["ects"] else
                 (f"{hit['hours']:g} h" if hit["hours"] else None),
                 f"EQF {hit['eqf_level']}" if hit["eqf_level"] else None, hit["mode"], "/".join(hit["languages"]),
                 hit["price"], "self-paced" if hit["self_paced"] else hit["start_date"]]
        out.write(f"{n}. {hit['title']}{marker}\n   {' · '.join(str(f) for f in facts if f)}\n"
                  f"   {hit['url'] or ''}  [{hit['offer_id']}]\n")
    out.write(f"({result.took_ms:.0f} ms)\n")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orienta", description="Orienta command line tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    catalogue = commands.add_parser("catalogue", help="the catalogue of micro-credential offers",
                                    description="Import, check, export and count the catalogue of offers, "
                                                "pathways and recognition statements.")
    actions = catalogue.add_subparsers(dest="action", required=True)

    def common(sub: argparse.ArgumentParser, source: bool) -> None:
        if source:
            sub.add_argument("source", metavar="PATH_OR_URL",
                             help="a .jsonl file or catalogue folder, a .csv file, an ELM .jsonld/.json credential "
                                  "or folder of them, or an https:// URL")
            sub.add_argument("--format", choices=("json", "csv", "elm"),
                             help="json: the interchange JSON Lines; csv: with --mapping; elm: ELM v3 JSON-LD "
                                  "(default: from the file name)")
            sub.add_argument("--mapping", metavar="FILE", help="column mapping for --format csv "
                                                                "(e.g. catalogue_index/mappings/edx.yml)")
        sub.add_argument("--db", metavar="URL", help="catalogue store URL (default: ORIENTA_CATALOGUE_URL, "
                                                     "else SQLite var/catalogue.db)")
        sub.add_argument("--json", action="store_true", help="machine-readable output")

    sub = actions.add_parser("import", help="import into the store, all records or none")
    common(sub, source=True)
    sub.add_argument("--dry-run", action="store_true", help="validate and count changes, write nothing")
    sub.add_argument("--if-empty", action="store_true",
                     help="import only when the store holds no offers yet (first run of `make run`)")
    sub.set_defaults(handler=cmd_import)

    sub = actions.add_parser("validate", help="check a catalogue without writing")
    common(sub, source=True)
    sub.add_argument("--against-store", action="store_true",
                     help="let references point at records already in the store")
    sub.set_defaults(handler=cmd_validate)

    sub = actions.add_parser("export", help="write the whole catalogue as JSON Lines")
    common(sub, source=False)
    sub.add_argument("--output", "-o", metavar="FILE", help="output file (default: standard output)")
    sub.set_defaults(handler=cmd_export)

    sub = actions.add_parser("stats", help="count what the store holds")
    common(sub, source=False)
    sub.set_defaults(handler=cmd_stats)

    def index_options(sub: argparse.ArgumentParser) -> None:
        common(sub, source=False)
        sub.add_argument("--index-dir", metavar="DIR", help="search index folder (default: ORIENTA_VAR_DIR/index)")

    search = commands.add_parser("search", help="search the catalogue (hybrid: meaning and exact words)",
                                 description="Find offers for a query in any language, with filters.")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--lang", metavar="xx", help="show titles in this language when the offer has it")
    search.add_argument("--filter", action="append", metavar="KEY=VALUE",
                        help="language=en,pl mode=online ects_min=2 ects_max=5 hours_max=40 eqf=6 country=PL "
                             "provider=ID free=yes max_price=300 (EUR) or 1200RON start_after=2027-03-01")
    search.add_argument("--top-k", type=int, default=10, metavar="N")
    search.add_argument("--ranker", choices=("hybrid", "dense", "lexical"), default="hybrid")
    index_options(search)
    search.set_defaults(handler=cmd_search)

    index = commands.add_parser("index", help="the search index").add_subparsers(dest="action", required=True)
    sub = index.add_parser("build", help="rebuild the search index if the catalogue or model changed")
    index_options(sub)
    sub.set_defaults(handler=cmd_index_build)

    cli_handoff.add_commands(commands)
    cli_privacy.add_commands(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 invalid input, 3 other errors)."""
    from catalogue_index.errors import CatalogueError, InvalidCatalogue

    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace, TextIO, TextIO], int] = args.handler
    try:
        return handler(args, out, err)
    except BrokenPipeError:  # `orienta catalogue export | head`
        return EXIT_OK
    except InvalidCatalogue as error:
        if getattr(args, "json", False):
            _print_json({"ok": False, "error": "invalid catalogue",
                         "issues": [issue.as_dict() for issue in error.issues]}, out)
        else:
            err.write(f"error: {error}\n")
        return EXIT_INVALID
    except CatalogueError as error:
        if getattr(args, "json", False):
            _print_json({"ok": False, "error": str(error)}, out)
        else:
            err.write(f"error: {error}\n")
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
