"""Bearer-token authentication: every route but /health needs `Authorization: Bearer <token>`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from automl.jobs import JobStore

TOKEN_CACHE_SECONDS = 30.0
bearer = HTTPBearer(auto_error=False, description="An API token from `automl token create`.")


@dataclass(frozen=True)
class CurrentUser:
    id: int
    name: str


class TokenCache:
    """Token -> user for a few seconds, so polling dashboards do not hit the database per call."""

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self._seen: dict[str, tuple[CurrentUser, float]] = {}

    def user(self, token: str) -> CurrentUser | None:
        hit = self._seen.get(token)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
        found = self.store.user_for_token(token)
        if found is None:
            return None
        user = CurrentUser(found.id, found.name)
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[token] = (user, time.monotonic() + TOKEN_CACHE_SECONDS)
        return user


async def get_store(request: Request) -> JobStore:
    store: JobStore = request.app.state.store
    return store


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> CurrentUser:
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            401,
            "missing API token: send 'Authorization: Bearer <token>'"
            " (create one with `automl token create --user NAME`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    tokens: TokenCache = request.app.state.tokens
    user = tokens.user(credentials.credentials)
    if user is None:
        raise HTTPException(401, "invalid API token", headers={"WWW-Authenticate": "Bearer"})
    return user


Store = Annotated[JobStore, Depends(get_store)]
User = Annotated[CurrentUser, Depends(current_user)]
