"""``ox-connector check``: drift between OX and what the connector last applied.

For every context the connector manages, each kind handler reads what OX holds (users in
batches with getMultipleData, groups, resources, functional-account entries) and compares
it with the desired state computed from the state store: *missing* (the connector placed
it, OX lacks it), *different* (OX differs in a managed field), *orphan* (in OX, in a
managed context, unknown to the connector; the context admin and OX's group "users"
excepted). ``fix`` re-applies the stored objects of missing/different findings and, with
``prune``, deletes orphans. Module access is not compared (one call per user): ``resync``
covers it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from ..model.kinds import Kind
from ..ox import NotFound
from ..reconcile import HANDLERS, Deps, Finding, Reconciler, handler_for

log = logging.getLogger("ox_connector.check")


def managed_contexts(deps: Deps) -> list[int]:
    ids = {p.context_id for s in deps.store.all() for p in s.placements}
    return sorted(ids)


def check(
    deps: Deps,
    contexts: list[int] | None = None,
    progress: Callable[[str, int], None] = lambda what, cid: None,
) -> list[Finding]:
    findings: list[Finding] = []
    for cid in contexts if contexts is not None else managed_contexts(deps):
        stored = list(deps.store.in_context(cid))
        for kind, handler in HANDLERS.items():
            if not handler.has_drift_check:
                continue
            progress(kind.value, cid)
            findings += handler.drift(
                deps, cid, [s for s in stored if s.udm_object_type == kind.value]
            )
    return findings


def fix(
    deps: Deps, reconciler: Reconciler, findings: list[Finding], prune: bool = False
) -> dict[str, int]:
    """Re-apply the stored objects behind missing/different findings (each once); delete
    orphans only with ``prune``."""
    done = {"reapplied": 0, "pruned": 0}
    for object_id in dict.fromkeys(f.object_id for f in findings if f.object_id):
        state = deps.store.get(object_id)
        if state is None:
            continue
        reconciler.reapply(state)
        done["reapplied"] += 1
    if prune:
        for f in (f for f in findings if f.problem == "orphan"):
            with contextlib.suppress(NotFound):  # gone already: what pruning wanted
                handler_for(Kind(f.udm_object_type)).delete_orphan(deps, f)
            done["pruned"] += 1
            log.info(
                "orphan deleted",
                extra={
                    "udm_object_type": f.udm_object_type,
                    "context_id": f.context_id,
                    "ox_name": f.name,
                },
            )
    return done
