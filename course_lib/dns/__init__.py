"""The DNS automation defined once: the zone layout, the Enactors' rules and fixes, the safety properties.

Every view of the automation (the event simulator ``course_lib.dns_race``, the model checker's
``course_lib.enactor_model``, the operator console) builds on these three modules:

* ``layout``: ``ENDPOINTS`` / ``ENDPOINT_TABLE`` (name, short label; regional first), ``REGIONAL_ENDPOINT``,
  ``label(endpoint or index)``, ``tree_name(g, endpoint)`` / ``tree_generation(name)`` / ``tree_record``,
  ``alias_record(endpoint, g)`` / ``alias_generation(zone, endpoint)``, ``tree_generations(zone, endpoint)``,
  ``rollback_trees(zone, endpoint)``, ``lock_name(endpoint)`` (the TXT record that is the lock).
* ``rules``: ``FIXES`` and pure decisions on plain values: ``take_rule(plan, applied)`` (the one-time check),
  ``write_rule(plan, current, fixes)``, ``delete_rule(g, applied, K, active, fixes)``,
  ``freeze_rule(fixes, deleting_active=, dangling=)``, and their compositions
  ``cleanup_action(g, applied, K, active, fixes) -> 'young' | 'keep' | 'freeze' | 'delete'`` and
  ``start_action(dangling, fixes) -> 'go' | 'freeze' | 'blocked'``.
* ``properties``: ``Snapshot(aliases, trees)`` (per endpoint: alias generation or None, frozenset of stored
  generations; ``Snapshot.uniform(aliases, stored)``, ``Snapshot.of_zone(zone, endpoints)``);
  ``PROPERTY_NAMES``; ``holds(name, before, after)``, ``violations(before, after)``,
  ``first_violations(snapshots)``, ``explain(name, before, after, endpoints)``; ``before`` is None for the
  initial state.
"""

from . import layout, properties, rules
from .layout import (
    ENDPOINT_TABLE,
    ENDPOINTS,
    LABELS,
    REGIONAL_ENDPOINT,
    alias_generation,
    alias_record,
    label,
    lock_name,
    rollback_trees,
    tree_generation,
    tree_generations,
    tree_name,
    tree_record,
)
from .properties import PROPERTY_NAMES, Snapshot, explain, first_violations, holds, violations
from .rules import (
    FIXES,
    check_fixes,
    cleanup_action,
    delete_rule,
    freeze_rule,
    start_action,
    take_rule,
    write_rule,
)

__all__ = [
    "ENDPOINTS",
    "ENDPOINT_TABLE",
    "FIXES",
    "LABELS",
    "PROPERTY_NAMES",
    "REGIONAL_ENDPOINT",
    "Snapshot",
    "alias_generation",
    "alias_record",
    "check_fixes",
    "cleanup_action",
    "delete_rule",
    "explain",
    "first_violations",
    "freeze_rule",
    "holds",
    "label",
    "layout",
    "lock_name",
    "properties",
    "rollback_trees",
    "rules",
    "start_action",
    "take_rule",
    "tree_generation",
    "tree_generations",
    "tree_name",
    "tree_record",
    "violations",
    "write_rule",
]
