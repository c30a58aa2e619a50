"""What planning builds: data keys of the merged data, and fetch groups with their selections.

`Registry` and `FetchGroup` refer to each other (a data key remembers the groups fetching
it, a group the registry of its position), so they share this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .normalize import SelSet

__all__ = ["FetchGroup", "Registry", "SubField", "SubSel"]


class Registry:
    """Data keys at one position of the merged data.

    Every field fetched at a position gets one data key, shared by all subgraphs and all
    runtime types there, so merging subgraph answers never mixes two different fields.
    The user's response key is preferred; clashes get an internal alias.
    """

    __slots__ = ("by_field", "by_sig", "children", "distinct", "placed", "reach", "taken")

    def __init__(self) -> None:
        # The mutation root: every response key is a separate execution, even when two
        # fields have the same name and arguments, so each gets its own data key.
        self.distinct = False
        # Subgraphs able to serve the field leading to this position, from any route.
        self.reach: frozenset[str] = frozenset()
        self.by_sig: dict[tuple[str, str, str], str] = {}
        # (runtime type, field name, printed args) → data key, for reading the data back
        self.by_field: dict[tuple[str, str, str], str] = {}
        self.taken: set[str] = {"__typename"}
        self.children: dict[str, Registry] = {}
        # (data key, runtime type) → groups fetching it there
        self.placed: dict[tuple[str, str], set[FetchGroup]] = {}

    def field_id(self, response_key: str, args: str) -> str:
        """What identifies a field here besides its name: its printed arguments (plus its
        response key in a `distinct` registry)."""
        return f"{args}#{response_key}" if self.distinct else args

    def key_for(self, sig: tuple[str, str, str], preferred: str) -> str:
        """The data key of the field with signature `sig` here: the one it already has,
        else `preferred` (the response key) when free, else an internal alias."""
        key = self.by_sig.get(sig)
        if key is not None:
            return key
        key = preferred
        n = 0
        while key in self.taken:
            n += 1
            key = f"{sig[0]}__g{n}"
        self.taken.add(key)
        self.by_sig[sig] = key
        return key

    def find(self, t: str, name: str, args: str, sig: tuple[str, str, str]) -> str | None:
        """The data key of `t.name(args)` at this position, if some fetch gets it."""
        key = self.by_field.get((t, name, args))
        if key is not None:
            return key
        key = self.by_sig.get(sig)
        if key is not None:
            return key
        for (_, n, a), k in self.by_field.items():
            if n == name and a == args:
                return k
        return None

    def child(self, key: str) -> Registry:
        """The registry of the objects under the data key `key`."""
        reg = self.children.get(key)
        if reg is None:
            reg = self.children[key] = Registry()
        return reg


@dataclass(slots=True, eq=False)
class SubField:
    """A field of a subgraph operation: its name, printed arguments and sub-selection."""

    name: str
    args: str
    sub: SubSel | None = None


@dataclass(slots=True, eq=False)
class SubSel:
    """A selection set being built for one subgraph operation."""

    fields: dict[str, SubField] = field(default_factory=dict)
    frags: dict[str, SubSel] = field(default_factory=dict)
    typename: bool = False

    def add(self, data_key: str, name: str, args: str, composite: bool) -> SubField:
        """The field asked under `data_key` (aliased when it differs from `name`)."""
        sf = self.fields.get(data_key)
        if sf is None:
            sf = self.fields[data_key] = SubField(name, args, SubSel() if composite else None)
        return sf

    def frag(self, type_name: str) -> SubSel:
        """The selection of the inline fragment `... on type_name`."""
        s = self.frags.get(type_name)
        if s is None:
            s = self.frags[type_name] = SubSel()
        return s

    def render(self) -> str:
        """The selection set as GraphQL text (`{__typename}` when nothing else is asked)."""
        parts: list[str] = []
        if self.typename:
            parts.append("__typename")
        for key, sf in self.fields.items():
            head = sf.name if key == sf.name else f"{key}: {sf.name}"
            head += sf.args
            if sf.sub is not None:
                head += " " + sf.sub.render()
            parts.append(head)
        for type_name, s in self.frags.items():
            if s.fields or s.frags or s.typename:
                parts.append(f"... on {type_name} {s.render()}")
        if not parts:
            parts.append("__typename")
        return "{" + " ".join(parts) + "}"


@dataclass(slots=True, eq=False)
class FetchGroup:
    """A future fetch node: one subgraph request at one path of the merged data.

    A root group (`entity` false) asks root fields; an entity group asks `_entities` with
    representations built from the objects at `path`, one inline fragment per type.
    """

    id: int
    graph: str
    path: tuple[str, ...]
    entity: bool
    reg: Registry
    parent: FetchGroup | None = None
    #: The mutation segment (a run of root fields of one subgraph, in document order).
    segment: int = 0
    root: SubSel = field(default_factory=SubSel)
    #: Per type the subgraph sees (`... on T` of the `_entities` selection), its selection.
    entity_sels: dict[str, SubSel] = field(default_factory=dict)
    #: Per `__typename` in the data: the representation typename and the key/requires
    #: selections (normalized on the data type) whose fields go into the representation.
    reprs: dict[str, tuple[str, list[SelSet]]] = field(default_factory=dict)
    #: Groups that must run first (the parent, and those fetching representation fields).
    deps: set[FetchGroup] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)

    def sel(self, as_type: str) -> SubSel:
        """The selection of the `... on as_type` fragment of this entity fetch."""
        s = self.entity_sels.get(as_type)
        if s is None:
            s = self.entity_sels[as_type] = SubSel()
        return s

    def depends_on(self, other: FetchGroup) -> bool:
        """Whether `other` must run before this group (directly or through other groups)."""
        seen: set[int] = set()
        stack = list(self.deps)
        while stack:
            g = stack.pop()
            if g is other:
                return True
            if g.id in seen:
                continue
            seen.add(g.id)
            stack.extend(g.deps)
        return False
