"""Cookies set the one safe way: HttpOnly, SameSite=Lax, Secure with the __Host- prefix over https."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response


def is_secure(conn: HTTPConnection) -> bool:
    return conn.url.scheme == "https"


def cookie_name(conn: HTTPConnection, base: str) -> str:
    # __Host- makes the browser refuse the cookie unless Secure, for this host only, on path /.
    return f"__Host-{base}" if is_secure(conn) else base


def read_cookie(conn: HTTPConnection, base: str) -> str | None:
    return conn.cookies.get(cookie_name(conn, base))


def set_cookie(
    response: Response,
    conn: HTTPConnection,
    base: str,
    value: str,
    *,
    max_age: int | None = None,
    http_only: bool = True,
    same_site: str = "lax",
) -> None:
    response.set_cookie(
        cookie_name(conn, base),
        value,
        max_age=max_age,
        path="/",
        secure=is_secure(conn),
        httponly=http_only,
        samesite=same_site,  # type: ignore[arg-type]
    )


def delete_cookie(response: Response, conn: HTTPConnection, base: str) -> None:
    response.delete_cookie(cookie_name(conn, base), path="/", secure=is_secure(conn), httponly=True)
