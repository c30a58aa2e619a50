"""Demo users for dev mode: the six ``DEMO_USERS``, all with ``DEMO_PASSWORD``."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from astro.demo import DEMO_PASSWORD, DEMO_USERS, demo_id
from astro.settings import Settings
from subgraphs.system.passwords import hash_password
from subgraphs.system.store import USER_INDEXES, UserDocument, utcnow


async def seed(settings: Settings) -> None:
    """Create the demo users that are missing (ids ``demo_id(email)``); existing ones stay as is.

    Writes through its own client without binding the Beanie documents, so a running app in the
    same process keeps its connection.
    """
    if settings.mode == "production":
        raise RuntimeError("Demo users are for dev mode only (ASTRO_MODE=production).")
    if not settings.mongo_url:
        raise RuntimeError("ASTRO_MONGO_URL is not set: point it at a MongoDB server.")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    try:
        users = client[settings.system_db][UserDocument.Settings.name]
        await users.create_indexes(USER_INDEXES)
        ids = {demo_id(email): email for email in DEMO_USERS}
        present = {doc["_id"] async for doc in users.find({"_id": {"$in": list(ids)}}, {"_id": 1})}
        for user_id, email in ids.items():
            if user_id in present:
                continue
            # The fields of UserDocument (a Beanie document cannot be built before binding).
            user = {
                "_id": user_id,
                "email": email,
                "password_hash": await hash_password(DEMO_PASSWORD),
                "roles": list(DEMO_USERS[email]),
                "created_at": utcnow(),
            }
            try:
                await users.insert_one(user)
            except DuplicateKeyError as exc:
                raise RuntimeError(
                    f"Cannot seed demo user {email}: the email belongs to another account."
                ) from exc
    finally:
        await client.close()
