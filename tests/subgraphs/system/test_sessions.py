"""Refresh tokens (rotation, reuse, logout) and login rate limiting."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

from tests.subgraphs.system.conftest import Client
from tests.subgraphs.system.test_accounts import LOGIN, ME, PASSWORD, new_email, register

REFRESH = """
mutation ($token: String!) {
  refreshToken(refreshToken: $token) { accessToken refreshToken expiresIn user { id email } }
}"""
LOGOUT = "mutation ($token: String!) { logout(refreshToken: $token) }"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def test_refresh_token_rotates_and_the_old_one_is_revoked(
    gql: Client, system_db: Any
) -> None:
    session = await register(gql, new_email())
    first = session["refreshToken"]

    refreshed = await gql(REFRESH, {"token": first})

    assert refreshed.errors == []
    second = refreshed.data["refreshToken"]["refreshToken"]
    assert second != first
    assert refreshed.data["refreshToken"]["user"] == {
        "id": session["user"]["id"],
        "email": session["user"]["email"],
    }
    me = await gql(ME, token=refreshed.data["refreshToken"]["accessToken"])
    assert me.data["me"]["id"] == session["user"]["id"]
    old = await system_db.refresh_tokens.find_one({"_id": digest(first)})
    new = await system_db.refresh_tokens.find_one({"_id": digest(second)})
    assert (old["revoked_reason"], new["revoked_at"]) == ("rotated", None)
    assert old["family_id"] == new["family_id"]


async def test_reusing_a_rotated_refresh_token_signs_out_its_whole_family(
    gql: Client, system_db: Any
) -> None:
    first = (await register(gql, new_email()))["refreshToken"]
    second = (await gql(REFRESH, {"token": first})).data["refreshToken"]["refreshToken"]

    replayed = await gql(REFRESH, {"token": first})

    assert replayed.data is None and replayed.codes == ["UNAUTHENTICATED"]
    assert "already used" in replayed.errors[0]["message"]
    successor = await gql(REFRESH, {"token": second})
    assert successor.codes == ["UNAUTHENTICATED"]
    stored = await system_db.refresh_tokens.find_one({"_id": digest(second)})
    assert stored["revoked_reason"] == "reuse"


async def test_an_expired_or_unknown_refresh_token_is_unauthenticated(
    gql: Client, system_db: Any
) -> None:
    token = (await register(gql, new_email()))["refreshToken"]
    record = await system_db.refresh_tokens.find_one({"_id": digest(token)})
    await system_db.refresh_tokens.update_one(
        {"_id": digest(token)},
        {"$set": {"expires_at": record["created_at"] - timedelta(seconds=1)}},
    )

    expired = await gql(REFRESH, {"token": token})
    unknown = await gql(REFRESH, {"token": "not-a-token"})

    assert expired.codes == unknown.codes == ["UNAUTHENTICATED"]
    assert "expired" in expired.errors[0]["message"]
    assert "not valid" in unknown.errors[0]["message"]


async def test_logout_revokes_the_refresh_token(gql: Client, system_db: Any) -> None:
    token = (await register(gql, new_email()))["refreshToken"]

    first = await gql(LOGOUT, {"token": token})
    again = await gql(LOGOUT, {"token": token})
    refreshed = await gql(REFRESH, {"token": token})

    assert first.data == again.data == {"logout": True}
    assert refreshed.codes == ["UNAUTHENTICATED"] and "revoked" in refreshed.errors[0]["message"]
    stored = await system_db.refresh_tokens.find_one({"_id": digest(token)})
    assert stored["revoked_reason"] == "logout"
    assert (await gql(LOGOUT, {"token": "never-issued"})).codes == ["UNAUTHENTICATED"]


async def test_tenth_failed_login_locks_the_email_with_a_retry_after(
    gql: Client, system_db: Any
) -> None:
    email = new_email()
    await register(gql, email)
    for _ in range(10):
        failed = await gql(LOGIN, {"email": email, "password": "Wrong-Pass-1"})
        assert failed.codes == ["UNAUTHENTICATED"]

    locked = await gql(LOGIN, {"email": email, "password": PASSWORD})

    assert locked.codes == ["RATE_LIMITED"]
    retry_after = locked.errors[0]["extensions"]["retryAfter"]
    assert 14 * 60 < retry_after <= 15 * 60
    assert f"{retry_after} seconds" in locked.errors[0]["message"]
    audit = await system_db.auth_audit.find_one({"email": email}, sort=[("at", -1)])
    assert (audit["success"], audit["reason"]) == (False, "rate_limited")

    # Once the window has passed, the right password works again.
    await system_db.login_throttle.update_one(
        {"_id": email}, {"$set": {"window_start": audit["at"] - timedelta(minutes=16)}}
    )
    assert (await gql(LOGIN, {"email": email, "password": PASSWORD})).errors == []


async def test_a_successful_login_clears_earlier_failures(gql: Client, system_db: Any) -> None:
    email = new_email()
    await register(gql, email)
    for _ in range(9):
        await gql(LOGIN, {"email": email, "password": "Wrong-Pass-1"})

    assert (await gql(LOGIN, {"email": email, "password": PASSWORD})).errors == []
    for _ in range(9):
        await gql(LOGIN, {"email": email, "password": "Wrong-Pass-1"})
    assert (await gql(LOGIN, {"email": email, "password": PASSWORD})).errors == []


async def test_concurrent_guesses_cannot_get_past_the_limit(gql: Client) -> None:
    email = new_email()
    await register(gql, email)

    responses = await asyncio.gather(
        *(gql(LOGIN, {"email": email, "password": f"Wrong-Pass-{n}"}) for n in range(16))
    )

    codes = sorted(code for response in responses for code in response.codes)
    assert codes == ["RATE_LIMITED"] * 6 + ["UNAUTHENTICATED"] * 10
