"""GraphQL types of the system subgraph (Apollo Federation v2): users and sessions."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from subgraphs.serving import Context, SubgraphSchema
from subgraphs.system import resolvers
from subgraphs.system.store import UserDocument


@strawberry.federation.type(keys=["id"], description="An account on the platform.")
class User:
    id: strawberry.ID
    email: str
    roles: list[str]
    created_at: datetime

    @classmethod
    def from_document(cls, user: UserDocument) -> User:
        return cls(
            id=strawberry.ID(user.id),
            email=user.email,
            roles=list(user.roles),
            created_at=user.created_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> User | None:
        user = await resolvers.user_by_id(info.context, str(id))
        return cls.from_document(user) if user is not None else None


@strawberry.type(description="A logged-in session: a short-lived access token and its refresh.")
class AuthPayload:
    access_token: str = strawberry.field(description="JWT to send as 'Authorization: Bearer …'.")
    refresh_token: str = strawberry.field(description="Single-use; trade it in refreshToken.")
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    user: User

    @classmethod
    def from_session(cls, session: resolvers.Session) -> AuthPayload:
        return cls(
            access_token=session.access_token,
            refresh_token=session.refresh_token,
            expires_in=session.expires_in,
            user=User.from_document(session.user),
        )


@strawberry.input
class RegisterInput:
    email: str
    password: str = strawberry.field(
        description="At least 8 characters with an uppercase and a lowercase letter, a digit "
        "and a symbol."
    )


async def _me(info: Info[Context, None]) -> User | None:
    return User.from_document(await resolvers.me(info.context))


async def _users(info: Info[Context, None], limit: int = 50, offset: int = 0) -> list[User]:
    return [User.from_document(user) for user in await resolvers.users(info.context, limit, offset)]


async def _register(info: Info[Context, None], input: RegisterInput) -> AuthPayload:
    session = await resolvers.register(info.context, input.email, input.password)
    return AuthPayload.from_session(session)


async def _login(info: Info[Context, None], email: str, password: str) -> AuthPayload:
    return AuthPayload.from_session(await resolvers.login(info.context, email, password))


async def _refresh_token(info: Info[Context, None], refresh_token: str) -> AuthPayload:
    return AuthPayload.from_session(await resolvers.refresh(info.context, refresh_token))


async def _logout(info: Info[Context, None], refresh_token: str) -> bool:
    return await resolvers.logout(info.context, refresh_token)


@strawberry.type
class Query:
    me: User | None = strawberry.federation.field(
        resolver=_me, authenticated=True, description="The logged-in user."
    )
    users: list[User] = strawberry.federation.field(
        resolver=_users,
        requires_scopes=[["users:read"]],
        description="Every user, ordered by email (admins).",
    )


@strawberry.type
class Mutation:
    register: AuthPayload = strawberry.mutation(
        resolver=_register, description="Create a customer account and log it in."
    )
    login: AuthPayload = strawberry.mutation(
        resolver=_login, description="Log in with email and password."
    )
    refresh_token: AuthPayload = strawberry.mutation(
        resolver=_refresh_token,
        description="Trade a refresh token for a new session (rotates it).",
    )
    logout: bool = strawberry.mutation(resolver=_logout, description="Revoke a refresh token.")


schema = SubgraphSchema(query=Query, mutation=Mutation, types=[User])
