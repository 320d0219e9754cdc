"""Errors of the catalogue: each problem says where it is (source, record, field) and why."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence


@dataclass(frozen=True)
class Issue:
    """One problem in the input. `record` is the line (JSONL), row (CSV) or claim (ELM) number, 1-based."""

    source: str
    record: Optional[int]
    field: Optional[str]
    reason: str
    record_id: Optional[str] = None

    def __str__(self) -> str:
        where = self.source
        if self.record is not None:
            where += f", record {self.record}"
        if self.record_id:
            where += f" ({self.record_id})"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.reason}"

    def as_dict(self) -> dict:
        return {"source": self.source, "record": self.record, "record_id": self.record_id,
                "field": self.field, "reason": self.reason}


class CatalogueError(Exception):
    """Base of every error the catalogue reports to a person (the CLI prints it and exits non-zero)."""


class InvalidCatalogue(CatalogueError):
    """The input has problems; nothing was written."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues: List[Issue] = list(issues)
        count = len(self.issues)
        head = "\n".join(f"  {issue}" for issue in self.issues[:20])
        more = f"\n  ... and {count - 20} more" if count > 20 else ""
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found; nothing was imported:\n{head}{more}")


class FetchError(CatalogueError):
    """A catalogue could not be downloaded."""


class StoreNotReady(CatalogueError):
    """The store cannot be reached or migrated."""
