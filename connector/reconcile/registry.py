"""The kind handlers, one per UDM kind: the only place that maps a kind to its code."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..model.kinds import Kind
from .access_profiles import AccessProfileHandler
from .contexts import ContextHandler
from .functional_accounts import FunctionalAccountHandler
from .groups import GroupHandler
from .handler import KindHandler
from .resources import ResourceHandler
from .users import UserHandler

HANDLERS: Mapping[Kind, KindHandler] = MappingProxyType(
    {
        handler.kind: handler
        for handler in (
            ContextHandler(),
            AccessProfileHandler(),
            UserHandler(),
            GroupHandler(),
            FunctionalAccountHandler(),
            ResourceHandler(),
        )
    }
)


def handler_for(kind: Kind) -> KindHandler:
    return HANDLERS[kind]
