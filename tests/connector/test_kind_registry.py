"""The kind registry: one handler per UDM kind, and nothing else dispatches on kinds."""

import ast
from pathlib import Path

import connector
from connector.model import Kind
from connector.reconcile import HANDLERS, KindHandler, handler_for

PRODUCT = Path(connector.__file__).parent


def test_every_kind_has_exactly_its_own_handler():
    assert list(HANDLERS) == list(Kind)  # in the apply order
    for kind, handler in HANDLERS.items():
        assert isinstance(handler, KindHandler)
        assert handler.kind is kind
        assert handler_for(kind) is handler


def test_handlers_place_ox_objects_only_where_check_compares_them():
    # check compares the kinds that place objects inside contexts; contexts and access
    # profiles are compared by nothing (a context is its own container, a profile a file)
    checked = {kind for kind, handler in HANDLERS.items() if handler.has_drift_check}
    assert checked == {Kind.USER, Kind.GROUP, Kind.RESOURCE, Kind.FUNCTIONAL_ACCOUNT}


def _kind_switches(tree: ast.AST) -> list[int]:
    """Lines of ``if`` tests that compare something with a Kind member (``x is Kind.USER``)."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.If, ast.IfExp)):
            continue
        for cmp in ast.walk(node.test):
            if not isinstance(cmp, ast.Compare):
                continue
            for side in (cmp.left, *cmp.comparators):
                if isinstance(side, ast.Attribute) and getattr(side.value, "id", "") == "Kind":
                    lines.append(node.lineno)
    return lines


def test_no_module_switches_on_kinds_outside_the_plan():
    # The plan's one rule (context deletions last) is the only comparison with a kind
    # that decides what happens; everything else goes through the registry.
    allowed = {PRODUCT / "queue" / "plan.py"}
    offenders = {
        str(path.relative_to(PRODUCT)): lines
        for path in PRODUCT.rglob("*.py")
        if path not in allowed
        and (lines := _kind_switches(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}
