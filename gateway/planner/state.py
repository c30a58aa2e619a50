"""The state of planning one operation, and the position where fields are being placed.

The planning phases pass these two objects instead of long argument lists: `Planning` is
what one `build_plan` call accumulates, `Position` is one place of the merged data that one
fetch group is filling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..supergraph import Supergraph
from .fetches import FetchGroup, Registry, SubSel
from .normalize import SelSet, normalize_fieldset

__all__ = ["JumpTarget", "Planning", "Position"]


@dataclass(slots=True, eq=False)
class Planning:
    """What planning one operation builds: its fetch groups and the data keys of its root.

    `fieldsets` caches normalized `join__FieldSet`s (keys, requires, provides) and outlives
    the operation: it is shared by every plan of one supergraph.
    """

    supergraph: Supergraph
    fieldsets: dict[tuple[str, str], SelSet]
    root_keys: Registry = field(default_factory=Registry)
    groups: list[FetchGroup] = field(default_factory=list)
    #: The current mutation segment: each run of root mutation fields of one subgraph.
    segment: int = 0
    #: Collectors of the groups that place fields while representation fields are planned:
    #: an entity fetch depends on every group fetching its key or requires fields.
    touched: list[set[FetchGroup]] = field(default_factory=list)
    #: Entity jumps being planned, to stop a key that needs itself (cyclic keys).
    in_progress: set[tuple[object, ...]] = field(default_factory=set)
    #: Response keys of root fields that no subgraph could serve.
    unplanned: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root_keys.reach = frozenset(self.supergraph.graphs)

    def fieldset(self, type_name: str, fieldset: str) -> SelSet:
        """A `join__FieldSet` on a type, normalized (cached)."""
        got = self.fieldsets.get((type_name, fieldset))
        if got is None:
            got = normalize_fieldset(self.supergraph.schema, type_name, fieldset)
            self.fieldsets[(type_name, fieldset)] = got
        return got

    def new_group(
        self,
        graph: str,
        path: tuple[str, ...],
        reg: Registry,
        parent: FetchGroup | None = None,
    ) -> FetchGroup:
        """A root group (no `parent`) or an entity group below `parent`."""
        group = FetchGroup(len(self.groups), graph, path, parent is not None, reg, parent)
        group.segment = self.segment
        if parent is not None:
            group.deps.add(parent)
        self.groups.append(group)
        return group


@dataclass(slots=True, eq=False)
class Position:
    """One place of the merged data that one fetch group is filling.

    `type_name` is the type of the objects there (the runtime type once type conditions are
    split); `as_type` the type the subgraph knows them as — the same, or the interface (or
    `@interfaceObject`) an entity jump went through. `provided` is what an enclosing
    `@provides` lets the group's subgraph resolve here. Never changed once made (not
    frozen only because a frozen dataclass is slower to build, once per object placed).
    """

    group: FetchGroup
    selection: SubSel
    path: tuple[str, ...]
    reg: Registry
    provided: SelSet | None
    type_name: str
    as_type: str

    def of_type(self, type_name: str, selection: SubSel) -> Position:
        """The same place, for the objects of one runtime type (written to `selection`)."""
        return Position(
            self.group, selection, self.path, self.reg, self.provided, type_name, type_name
        )


class JumpTarget(NamedTuple):
    """Where an entity jump goes: a subgraph, the type it knows the entity as, and a key."""

    graph: str
    as_type: str
    key: str
