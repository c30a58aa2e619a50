"""Federation (the User entity, the SDL), demo data and the worker hooks."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import urllib.request
from asyncio.subprocess import PIPE
from typing import Any

from astro.demo import DEMO_PASSWORD, DEMO_USERS, demo_id
from astro.settings import Settings
from subgraphs.system.seed import seed
from tests.subgraphs.system.conftest import Client, CommandLog
from tests.subgraphs.system.test_accounts import LOGIN, new_email, register

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id email roles } }
}"""


async def test_service_sdl_declares_the_user_key(gql: Client) -> None:
    response = await gql("{ _service { sdl } }")

    sdl = response.data["_service"]["sdl"]
    assert 'type User @key(fields: "id")' in sdl
    assert "me: User @authenticated" in sdl
    assert '@requiresScopes(scopes: [["users:read"]])' in sdl


async def test_entities_resolve_users_in_one_query(gql: Client, command_log: CommandLog) -> None:
    users = [(await register(gql, new_email()))["user"] for _ in range(3)]
    ids = [user["id"] for user in users]
    representations = [
        {"__typename": "User", "id": user_id} for user_id in [*ids, "nobody", ids[0]]
    ]
    command_log.commands.clear()

    response = await gql(ENTITIES, {"representations": representations})

    assert response.errors == []
    assert response.data["_entities"] == [
        *({"id": u["id"], "email": u["email"], "roles": ["customer"]} for u in users),
        None,
        {"id": users[0]["id"], "email": users[0]["email"], "roles": ["customer"]},
    ]
    finds = command_log.finds("users")
    assert len(finds) == 1
    assert set(finds[0]["filter"]["_id"]["$in"]) == {*ids, "nobody"}


async def test_seed_creates_the_demo_users_once(
    gql: Client, system_db: Any, settings: Settings
) -> None:
    await seed(settings)
    before = await system_db.users.find(
        {"_id": {"$in": [demo_id(e) for e in DEMO_USERS]}}
    ).to_list()

    await seed(settings)

    after = await system_db.users.find({"_id": {"$in": [demo_id(e) for e in DEMO_USERS]}}).to_list()
    assert after == before and len(after) == len(DEMO_USERS)
    for email, roles in DEMO_USERS.items():
        response = await gql(LOGIN, {"email": email, "password": DEMO_PASSWORD})
        assert response.errors == []
        assert response.data["login"]["user"] == {
            "id": demo_id(email),
            "email": email,
            "roles": list(roles),
        }


async def test_seed_refuses_production(settings: Settings) -> None:
    production = settings.model_copy(update={"mode": "production"})
    try:
        await seed(production)
    except RuntimeError as exc:
        assert "dev mode only" in str(exc)
    else:
        raise AssertionError("seed ran in production mode")


_WORKER = """
import asyncio
from subgraphs.system import jobs
from subgraphs.system.store import UserDocument

async def main():
    ctx = {}
    await jobs.startup(ctx)
    names = lambda items: ",".join(sorted(getattr(i, "name", None) or i.__name__ for i in items))
    print(
        await UserDocument.find_all().count(),
        names(jobs.functions + jobs.notification_functions),
        names(jobs.cron_jobs + jobs.notification_cron_jobs),
    )
    await jobs.shutdown(ctx)
    print(sorted(ctx))

asyncio.run(main())
"""


async def test_worker_hooks_open_and_close_the_store(settings: Settings) -> None:
    # In a process of its own, as in the worker: binding the documents to another client here
    # would take them away from the app this session serves.
    await seed(settings)
    env = {
        **os.environ,
        "ASTRO_MONGO_URL": str(settings.mongo_url),
        "ASTRO_SYSTEM_DB": settings.system_db,
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _WORKER, env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await worker.communicate()

    assert worker.returncode == 0, err.decode()
    count, functions, cron_jobs, remaining = out.decode().split()
    assert int(count) >= len(DEMO_USERS)
    assert (functions, cron_jobs, remaining) == (
        "collect_logs,deliver_notification,notify_event,prune_logs,redrive_notifications",
        "system:collect_logs,system:prune_logs,system:redrive_notifications",
        "[]",
    )


async def test_healthz_answers_ok(system_url: str) -> None:
    def get() -> Any:
        with urllib.request.urlopen(f"{system_url}/healthz", timeout=5) as reply:
            return json.loads(reply.read())

    assert await asyncio.to_thread(get) == {"status": "ok"}
