"""The zone layout the DNS Enactors write: endpoints, plan trees, aliases, rollback trees and locks.

What the record says: besides the public regional endpoint the same automation manages IPv6, FIPS and
account-specific variants [S1e][S1g]; a plan is a tree of records, a top-level alias points at the active
tree and older trees stay as rollback trees [S2]; the lock is a TXT record in Route 53 itself [S2].
Model choices: the variant names (only the regional name is published), the tree and lock record names,
and an ``ALIAS`` record type standing for Route 53's alias target.
"""

from __future__ import annotations

import re

from ..route53 import HostedZone, Record
from ..validate import check_int, check_type

__all__ = [
    "ENDPOINTS",
    "ENDPOINT_TABLE",
    "LABELS",
    "REGIONAL_ENDPOINT",
    "alias_generation",
    "alias_record",
    "endpoint_index",
    "is_tree_name",
    "label",
    "lock_name",
    "rollback_trees",
    "tree_endpoint",
    "tree_generation",
    "tree_generations",
    "tree_name",
    "tree_record",
]

# (endpoint name, short label), regional first: the one table every view of the automation reads.
ENDPOINT_TABLE = (
    ("dynamodb.us-east-1.amazonaws.com", "regional"),  # the public regional endpoint [S1e]
    ("dynamodb.us-east-1.api.aws", "ipv6"),  # model choice: an illustrative dual-stack name
    ("dynamodb-fips.us-east-1.amazonaws.com", "fips"),  # model choice
    ("111122223333.ddb.us-east-1.amazonaws.com", "account"),  # model choice: an example account id
)
ENDPOINTS = tuple(name for name, _ in ENDPOINT_TABLE)
LABELS = dict(ENDPOINT_TABLE)  # endpoint name -> short label
REGIONAL_ENDPOINT = ENDPOINTS[0]

_TREE = re.compile(r"plan-([1-9][0-9]*)\.(.+)")


def _endpoint(endpoint) -> str:
    check_type("endpoint", endpoint, str, "an endpoint name (a string)")
    if not endpoint:
        raise ValueError("endpoint must be a non-empty endpoint name")
    return endpoint


def endpoint_index(endpoint: str) -> int:
    """Return the endpoint's position in ENDPOINTS (0 is the regional endpoint)."""
    if _endpoint(endpoint) not in LABELS:
        raise ValueError(f"unknown endpoint {endpoint!r}; choose one of: {', '.join(ENDPOINTS)}")
    return ENDPOINTS.index(endpoint)


def label(endpoint: str | int) -> str:
    """Return the short label of an endpoint given by name or by index ('regional', 'ipv6', ...)."""
    if isinstance(endpoint, int) and not isinstance(endpoint, bool):
        return ENDPOINT_TABLE[check_int("endpoint", endpoint, lo=0, hi=len(ENDPOINTS) - 1)][1]
    return LABELS.get(_endpoint(endpoint), endpoint)


def tree_name(generation: int, endpoint: str) -> str:
    """Return the name of plan *generation*'s record tree for *endpoint*."""
    check_int("generation", generation, lo=1)
    return f"plan-{generation}.{_endpoint(endpoint)}"


def is_tree_name(name: str) -> bool:
    """Return True if *name* is a plan tree's name (False for anything else, strings or not)."""
    return isinstance(name, str) and _TREE.fullmatch(name) is not None


def tree_generation(name: str) -> int:
    """Return the generation encoded in a tree name ('plan-7.<endpoint>' -> 7)."""
    check_type("name", name, str, "a tree name (a string)")
    match = _TREE.fullmatch(name)
    if match is None:
        raise ValueError(f"name must be a tree name like 'plan-7.{REGIONAL_ENDPOINT}', got {name!r}")
    return int(match.group(1))


def tree_endpoint(name: str) -> str:
    """Return the endpoint a tree name belongs to."""
    tree_generation(name)
    return name.split(".", 1)[1]


def tree_record(generation: int, endpoint: str, ips: tuple[str, ...]) -> Record:
    """Return the A record set holding plan *generation*'s IPs for *endpoint*."""
    if isinstance(ips, (str, bytes)) or not isinstance(ips, (tuple, list)) or not ips:
        raise TypeError(f"ips must be a non-empty tuple of IP address strings, got {ips!r:.60}")
    return Record(tree_name(generation, endpoint), "A", tuple(ips))


def alias_record(endpoint: str, generation: int) -> Record:
    """Return the endpoint's top-level alias pointing at plan *generation*'s tree."""
    return Record(_endpoint(endpoint), "ALIAS", (tree_name(generation, endpoint),))


def alias_generation(zone: HostedZone, endpoint: str) -> int | None:
    """Return the generation the endpoint's alias points at, or None if there is no alias."""
    check_type("zone", zone, HostedZone)
    alias = zone.get(_endpoint(endpoint), "ALIAS")
    return tree_generation(alias.values[0]) if alias else None


def tree_generations(zone: HostedZone, endpoint: str) -> tuple[int, ...]:
    """Return the generations whose tree exists for *endpoint*, oldest first."""
    check_type("zone", zone, HostedZone)
    suffix = "." + _endpoint(endpoint)
    return tuple(sorted(tree_generation(r.name) for r in zone.records()
                        if r.type == "A" and r.name.endswith(suffix) and is_tree_name(r.name)
                        and r.name.split(".", 1)[1] == endpoint))


def rollback_trees(zone: HostedZone, endpoint: str) -> tuple[int, ...]:
    """Return the generations of the endpoint's rollback trees: stored, but not what its alias points at."""
    active = alias_generation(zone, endpoint)
    return tuple(g for g in tree_generations(zone, endpoint) if g != active)


def lock_name(endpoint: str) -> str:
    """Return the name of the TXT record that is the Enactors' lock for *endpoint* [S2] (name: model choice)."""
    return "_enactor-lock." + _endpoint(endpoint).removesuffix(".amazonaws.com")
