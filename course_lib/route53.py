"""A Route 53 hosted zone reduced to the semantics the Enactors relied on.

What the API documents ([S15]): a ``ChangeResourceRecordSets`` request carries a change
batch that Route 53 validates and then applies all or nothing; a DELETE must give exactly the values the
record set was created with.  Route 53 also rejects a CREATE for a record set that already exists; that
behaviour is documented but not confirmed in the course's sources (docs/sources.md), so here it is labelled a model
choice that follows the API reference.

Model choices (not AWS facts): record sets are keyed by (name, type); an alias is its own type
``ALIAS`` whose single value names the target record set (in Route 53 it is an A record with an alias
target); resolving an alias whose target does not exist gives an empty answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .validate import check_choice, check_int, check_type

__all__ = ["ACTIONS", "RECORD_TYPES", "Change", "ChangeRejected", "HostedZone", "Record"]

ACTIONS = ("CREATE", "DELETE", "UPSERT")
RECORD_TYPES = ("A", "AAAA", "TXT", "ALIAS")
MAX_ALIAS_DEPTH = 8  # Route 53 does not loop forever on alias chains; neither do we


@dataclass(frozen=True)
class Record:
    """A record set: name, type, values and TTL.  For ``ALIAS`` the one value is the target's name."""

    name: str
    type: str
    values: tuple[str, ...]
    ttl: int = 60

    def __post_init__(self):
        check_type("record name", self.name, str)
        if not self.name:
            raise ValueError("record name must be a non-empty string")
        check_choice("record type", self.type, RECORD_TYPES)
        if isinstance(self.values, str) or not isinstance(self.values, tuple):
            raise TypeError(f"record values must be a tuple of strings, got {self.values!r}")
        if not all(isinstance(v, str) for v in self.values):
            raise TypeError(f"record values must all be strings, got {self.values!r}")
        if self.type == "ALIAS" and len(self.values) != 1:
            raise ValueError(f"an ALIAS record needs exactly one target name, got {self.values!r}")
        check_int("record ttl", self.ttl, lo=0)

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.type)


@dataclass(frozen=True)
class Change:
    """One change of a batch: CREATE, DELETE or UPSERT of a record set."""

    action: str
    record: Record

    def __post_init__(self):
        check_choice("change action", self.action, ACTIONS)
        check_type("change record", self.record, Record)

    def __str__(self) -> str:
        r = self.record
        return f"{self.action} {r.name} {r.type} {','.join(r.values)}"


class ChangeRejected(Exception):
    """Route 53 refused a batch; nothing in it was applied."""

    def __init__(self, reason: str, change: Change | None = None):
        super().__init__(reason)
        self.reason, self.change = reason, change


class HostedZone:
    """A hosted zone: record sets changed only through all-or-nothing batches."""

    def __init__(self, records: Iterable[Record] = ()):
        self._records: dict[tuple[str, str], Record] = {}
        if isinstance(records, (str, bytes, Record)) or not isinstance(records, Iterable):
            raise TypeError(f"records must be an iterable of Record, got {type(records).__name__} {records!r:.80}")
        for record in records:
            check_type("records", record, Record)
            self._records[record.key] = record
        self.version = 0  # counts applied batches; a model convenience, not a Route 53 field

    def copy(self) -> HostedZone:
        """Return an independent copy (same records, same version)."""
        zone = HostedZone(self._records.values())
        zone.version = self.version
        return zone

    def get(self, name: str, type_: str = "A") -> Record | None:
        """Return the record set (name, type), or None."""
        if type(name) is not str or type(type_) is not str:  # the exact test first: models call this per step
            check_type("name", name, str, "a record name (a string)")
            check_type("type_", type_, str, f"a record type, one of {RECORD_TYPES}")
        return self._records.get((name, type_))

    def records(self) -> list[Record]:
        """Return every record set, sorted by name and type."""
        return [self._records[k] for k in sorted(self._records)]

    def names(self) -> set[str]:
        """Return the set of names that have at least one record set."""
        return {name for name, _ in self._records}

    def validate(self, batch: Sequence[Change]) -> dict[tuple[str, str], Record]:
        """Return the records the batch would leave, or raise ChangeRejected; the zone is not touched."""
        if isinstance(batch, Change) or not isinstance(batch, Sequence):
            raise TypeError(f"batch must be a list of Change, got {type(batch).__name__}")
        if not batch:
            raise ValueError("batch must contain at least one Change")
        after = dict(self._records)
        for change in batch:
            check_type("each change in batch", change, Change)
            key, record = change.record.key, change.record
            if change.action == "CREATE":
                if key in after:
                    raise ChangeRejected(f"CREATE rejected: {key[0]} {key[1]} already exists", change)
                after[key] = record
            elif change.action == "DELETE":
                if after.get(key) != record:
                    found = "does not exist" if key not in after else f"has values {after[key].values}"
                    raise ChangeRejected(
                        f"DELETE rejected: {key[0]} {key[1]} {found}; a DELETE must match the record exactly",
                        change)
                del after[key]
            else:  # UPSERT
                after[key] = record
        return after

    def change(self, batch: Sequence[Change]) -> int:
        """Apply *batch* all or nothing; return the zone's new version or raise ChangeRejected."""
        self._records = self.validate(batch)
        self.version += 1
        return self.version

    def try_change(self, batch: Sequence[Change]) -> bool:
        """Apply *batch* and return True, or return False if Route 53 would reject it."""
        try:
            self.change(batch)
        except ChangeRejected:
            return False
        return True

    def resolve(self, name: str, type_: str = "A") -> tuple[str, ...]:
        """Return the answer for (name, type), following aliases; empty if nothing is there.

        It never raises for anything a zone can hold (a missing target, an alias loop); a name or type that
        is not a string is refused as a TypeError.
        """
        if type(name) is not str or type(type_) is not str:
            check_type("name", name, str, "a record name (a string)")
            check_type("type_", type_, str, f"a record type, one of {RECORD_TYPES}")
        for _ in range(MAX_ALIAS_DEPTH):
            alias = self._records.get((name, "ALIAS"))
            if alias is None:
                break
            name = alias.values[0]
        else:
            return ()
        record = self._records.get((name, type_))
        return record.values if record else ()
