"""Password policy and argon2 hashing.

Hashing and verifying run in a worker thread: argon2 is deliberately slow and would otherwise
stall every other request on the event loop.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0!A")


def password_problems(password: str) -> list[str]:
    """What ``password`` lacks under the policy (empty when it is acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if not any(char.isupper() for char in password):
        problems.append("an uppercase letter")
    if not any(char.islower() for char in password):
        problems.append("a lowercase letter")
    if not any(char.isdigit() for char in password):
        problems.append("a digit")
    if not any(not char.isalnum() and not char.isspace() for char in password):
        problems.append("a symbol")
    return problems


async def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; ``None`` burns the same time and fails."""

    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def needs_rehash(password_hash: str) -> bool:
    """Whether ``password_hash`` was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(password_hash)
