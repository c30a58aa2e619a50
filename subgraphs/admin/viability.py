"""The viability threshold: a launch under 30 % sold three calendar months before its (current)
date is flagged once, and its supplier is told through a ``launch.viability_flagged`` event.

The supplier decides whether to abort; nothing here changes the launch's status or version.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from subgraphs.admin.events import add_viability_flagged
from subgraphs.admin.figures import VIABILITY_MONTHS, VIABILITY_SHARE, is_below_viability
from subgraphs.admin.store import TERMINAL_STATUSES, Database, Launch, Supplier

# Candidates are narrowed in SQL with a bound wider than any three calendar months; the exact
# calendar rule (astro.refunds.months_before) is applied in Python.
_WINDOW = timedelta(days=31 * VIABILITY_MONTHS + 1)


async def flag_launches(db: Database, now: datetime) -> list[uuid.UUID]:
    """Flag every launch newly under the threshold at ``now``; the ids flagged (idempotent)."""
    async with db.sessions.begin() as session:
        rows = (
            await session.execute(
                sa.select(Launch, Supplier)
                .join(Supplier, Supplier.id == Launch.supplier_id)
                .where(
                    Launch.status.not_in(list(TERMINAL_STATUSES)),
                    Launch.viability_flagged_at.is_(None),
                    Launch.launch_date > now,
                    Launch.launch_date <= now + _WINDOW,
                    Launch.seats_sold * 10 < Launch.total_seats * 3,
                )
                .order_by(Launch.launch_date, Launch.id)
                # Waits for a transition under way, so an aborted launch is not flagged after.
                .with_for_update(of=Launch)
                .execution_options(populate_existing=True)
            )
        ).all()
        flagged = [
            (launch, supplier) for launch, supplier in rows if is_below_viability(launch, now)
        ]
        if not flagged:
            return []
        ids = [launch.id for launch, _ in flagged]
        # A plain UPDATE, not the ORM's versioned one: the catalog snapshot does not change.
        await session.execute(
            sa.update(Launch)
            .where(Launch.id.in_(ids))
            .values(viability_flagged_at=now)
            .execution_options(synchronize_session=False)
        )
        percent = int(VIABILITY_SHARE * 100)
        for launch, supplier in flagged:
            add_viability_flagged(
                session, launch, supplier, flagged_at=now, threshold_percent=percent
            )
    return ids
