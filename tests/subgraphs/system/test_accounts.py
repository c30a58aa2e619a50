"""Registering, logging in, and who may see which users."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import jwt
import pytest

from astro.demo import DEMO_PASSWORD
from astro.settings import Settings
from subgraphs.system.seed import seed
from tests.subgraphs.system.conftest import Client

PASSWORD = "Orbit-Ready-42!"

REGISTER = """
mutation ($email: String!, $password: String!) {
  register(input: {email: $email, password: $password}) {
    accessToken refreshToken expiresIn user { id email roles createdAt }
  }
}"""
LOGIN = """
mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    accessToken refreshToken expiresIn user { id email roles }
  }
}"""
ME = "{ me { id email roles createdAt } }"


def new_email() -> str:
    return f"pilot-{uuid.uuid4().hex[:10]}@example.com"


async def register(gql: Client, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await gql(REGISTER, {"email": email, "password": password})
    assert response.errors == [], response.errors
    payload: dict[str, Any] = response.data["register"]
    return payload


async def login_token(gql: Client, email: str, password: str) -> str:
    response = await gql(LOGIN, {"email": email, "password": password})
    assert response.errors == [], response.errors
    token: str = response.data["login"]["accessToken"]
    return token


async def test_register_stores_a_lowercase_customer_with_an_argon2_hash(
    gql: Client, system_db: Any, settings: Settings
) -> None:
    email = new_email()
    payload = await register(gql, "  " + email.upper() + " ")

    user = payload["user"]
    assert user["email"] == email and user["roles"] == ["customer"]
    stored = await system_db.users.find_one({"_id": user["id"]})
    assert stored["email"] == email
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in str(stored)
    assert stored["created_at"].isoformat() == user["createdAt"]

    claims = jwt.decode(
        payload["accessToken"],
        settings.jwt_secret,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    assert (claims["sub"], claims["email"], claims["roles"]) == (user["id"], email, ["customer"])
    assert "bookings:own" in claims["scope"].split()
    assert (
        payload["expiresIn"] == settings.access_token_ttl_seconds == claims["exp"] - claims["iat"]
    )


async def test_refresh_tokens_are_stored_only_as_their_sha256(gql: Client, system_db: Any) -> None:
    payload = await register(gql, new_email())

    token = payload["refreshToken"]
    stored = await system_db.refresh_tokens.find_one(
        {"_id": hashlib.sha256(token.encode()).hexdigest()}
    )
    assert stored is not None and stored["user_id"] == payload["user"]["id"]
    assert stored["expires_at"] > stored["created_at"] and stored["revoked_at"] is None
    assert await system_db.refresh_tokens.count_documents({"_id": token}) == 0


async def test_registering_a_taken_email_in_any_case_is_a_conflict(
    gql: Client, system_db: Any
) -> None:
    email = new_email()
    await register(gql, email)

    response = await gql(REGISTER, {"email": email.upper(), "password": PASSWORD})

    assert response.data is None and response.codes == ["CONFLICT"]
    assert "already exists" in response.errors[0]["message"]
    assert await system_db.users.count_documents({"email": email}) == 1


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Ab1!", ["at least 8 characters"]),
        ("lowercase-only-1", ["an uppercase letter"]),
        ("UPPERCASE-ONLY-1", ["a lowercase letter"]),
        ("No-Digits-Here", ["a digit"]),
        ("NoSymbols123", ["a symbol"]),
        ("short", ["at least 8 characters", "an uppercase letter", "a digit", "a symbol"]),
    ],
)
async def test_weak_password_is_rejected_with_what_is_missing(
    gql: Client, system_db: Any, password: str, missing: list[str]
) -> None:
    email = new_email()

    response = await gql(REGISTER, {"email": email, "password": password})

    assert response.codes == ["BAD_USER_INPUT"]
    error = response.errors[0]
    assert error["extensions"]["field"] == "password"
    assert error["extensions"]["missing"] == missing
    assert all(need in error["message"] for need in missing)
    assert await system_db.users.count_documents({"email": email}) == 0


@pytest.mark.parametrize("email", ["", "no-at-sign.example.com", "two@@example.com", "x@localhost"])
async def test_malformed_email_is_rejected(gql: Client, email: str) -> None:
    response = await gql(REGISTER, {"email": email, "password": PASSWORD})

    assert response.codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["extensions"]["field"] == "email"
    assert "not a valid email address" in response.errors[0]["message"]


async def test_login_with_wrong_password_says_the_same_as_unknown_email(
    gql: Client, system_db: Any
) -> None:
    email = new_email()
    await register(gql, email)

    wrong_password = await gql(LOGIN, {"email": email, "password": PASSWORD + "x"})
    unknown_email = await gql(LOGIN, {"email": new_email(), "password": PASSWORD})

    assert wrong_password.errors == unknown_email.errors
    assert wrong_password.codes == ["UNAUTHENTICATED"]
    assert wrong_password.errors[0]["message"] == "Email or password is incorrect."
    assert wrong_password.data is None and unknown_email.data is None


async def test_every_login_attempt_is_audited(gql: Client, system_db: Any) -> None:
    email = new_email()
    user_id = (await register(gql, email))["user"]["id"]

    await gql(LOGIN, {"email": email, "password": "Wrong-Pass-1"})
    await gql(
        LOGIN,
        {"email": email.upper(), "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )

    entries = await system_db.auth_audit.find({"email": email}).sort("at", 1).to_list()
    assert [(entry["success"], entry["reason"]) for entry in entries] == [
        (False, "wrong_password"),
        (True, "ok"),
    ]
    assert entries[0]["user_id"] is None and entries[1]["user_id"] == user_id
    assert entries[0]["ip"] == "127.0.0.1" and entries[0]["forwarded_for"] is None
    # uvicorn trusts X-Forwarded-For from a local proxy (the gateway) for the client address.
    assert entries[1]["ip"] == entries[1]["forwarded_for"] == "203.0.113.9"
    assert entries[0]["at"] < entries[1]["at"]

    await gql(LOGIN, {"email": (stranger := new_email()), "password": PASSWORD})
    audit = await system_db.auth_audit.find_one({"email": stranger})
    assert (audit["success"], audit["reason"]) == (False, "unknown_email")


async def test_me_is_the_logged_in_user(gql: Client) -> None:
    email = new_email()
    user = (await register(gql, email))["user"]
    token = await login_token(gql, email.upper(), PASSWORD)

    response = await gql(ME, token=token)

    assert response.errors == []
    assert response.data["me"] == user


async def test_me_for_a_visitor_is_unauthenticated(gql: Client) -> None:
    response = await gql(ME)

    assert response.data == {"me": None}
    assert response.codes == ["UNAUTHENTICATED"]
    assert "Log in first" in response.errors[0]["message"]


async def test_a_forged_access_token_is_refused_before_any_resolver(
    gql: Client, settings: Settings
) -> None:
    forged = jwt.encode(
        {
            "sub": "someone",
            "roles": ["admin"],
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "exp": 2**40,
        },
        "not-the-secret-but-long-enough-for-hs256-0123456789",
        algorithm="HS256",
    )

    response = await gql(ME, token=forged)

    assert response.status == 401
    assert response.codes == ["UNAUTHENTICATED"]


USERS = """
query ($first: Int!, $after: String) {
  users(first: $first, after: $after) { nodes { email roles } pageInfo { hasNextPage endCursor } }
}
"""


async def test_users_lists_everyone_for_admins_only(gql: Client, settings: Settings) -> None:
    await seed(settings)
    admin = await login_token(gql, "admin@astrobookings.dev", DEMO_PASSWORD)
    customer = await login_token(gql, "customer@astrobookings.dev", DEMO_PASSWORD)
    page = {"first": 200}

    as_admin = await gql(USERS, page, token=admin)
    as_customer = await gql(USERS, page, token=customer)
    as_visitor = await gql(USERS, page)

    assert as_admin.errors == []
    emails = [user["email"] for user in as_admin.data["users"]["nodes"]]
    assert emails == sorted(emails)
    assert {"admin@astrobookings.dev", "finance@astrobookings.dev"} <= set(emails)
    assert as_customer.codes == ["FORBIDDEN"] and "users:read" in as_customer.errors[0]["message"]
    assert as_visitor.codes == ["UNAUTHENTICATED"]


async def test_users_pages_walk_by_cursor_and_are_bounded(gql: Client, settings: Settings) -> None:
    await seed(settings)
    admin = await login_token(gql, "admin@astrobookings.dev", DEMO_PASSWORD)

    first_two = await gql(USERS, {"first": 2}, token=admin)
    cursor = first_two.data["users"]["pageInfo"]["endCursor"]
    next_two = await gql(USERS, {"first": 2, "after": cursor}, token=admin)
    everyone = await gql(USERS, {"first": 200}, token=admin)
    too_many = await gql(USERS, {"first": 10_000}, token=admin)
    forged = await gql(USERS, {"first": 2, "after": "not-a-cursor"}, token=admin)

    emails = [user["email"] for user in everyone.data["users"]["nodes"]]
    walked = [u["email"] for page in (first_two, next_two) for u in page.data["users"]["nodes"]]
    assert walked == emails[:4]
    assert first_two.data["users"]["pageInfo"]["hasNextPage"] is True
    assert too_many.codes == forged.codes == ["BAD_USER_INPUT"]
    assert too_many.errors[0]["extensions"]["field"] == "first"
    assert forged.errors[0]["extensions"]["field"] == "after"
