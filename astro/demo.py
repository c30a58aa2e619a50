"""Demo accounts and ids shared by every store's seed data (dev mode only).

Ids are derived from names with UUIDv5 so every store agrees on them without talking.
"""

from __future__ import annotations

import uuid

DEMO_PASSWORD = "Astro-Demo-2026!"
_NAMESPACE = uuid.UUID("6f1c2a52-7d0e-4c55-9a8e-0b9f8d3f2a10")


def demo_id(name: str) -> str:
    """The stable id of demo object ``name`` (e.g. a user's email or ``supplier:orbital``)."""
    return str(uuid.uuid5(_NAMESPACE, name))


# email → roles
DEMO_USERS: dict[str, tuple[str, ...]] = {
    "customer@astrobookings.dev": ("customer",),
    "vip@astrobookings.dev": ("customer",),
    "supplier@astrobookings.dev": ("supplier",),
    "finance@astrobookings.dev": ("finance",),
    "it@astrobookings.dev": ("it",),
    "admin@astrobookings.dev": ("admin",),
}

DEMO_SUPPLIER_EMAIL = "supplier@astrobookings.dev"
DEMO_SUPPLIER_ID = demo_id("supplier:orbital-horizons")
