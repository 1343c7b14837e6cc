"""The connection to central: open it (timeouts, application name), call one function with
a network watchdog, and turn connection failures into Chinese SyncUnavailable / SyncRefused
messages that carry no raw exception text."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pgerrors

from .errors import SyncRefused, SyncUnavailable

Connection = psycopg.Connection[Any]
# one function call on an open connection: (connection, query, parameters) → the result
Call = Callable[[Connection, str, tuple[Any, ...]], Any]

_CJK = re.compile(r"[\u4e00-\u9fff]")
_AUTH_STATES = ("28000", "28P01")  # invalid authorization / password


def default_machine_id() -> str:
    """A stable id of this PC (host name + MAC); a copied data directory keeps the
    installation id but not this."""
    raw = f"{socket.gethostname()}|{uuid.getnode():012x}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def shutdown_socket(conn: Connection) -> None:
    """Shut the connection's socket down (unblocks a call waiting on a dead network)."""
    try:
        sock = socket.socket(fileno=os.dup(conn.fileno()))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()
    except OSError:
        pass


def _connect_failure(exc: psycopg.OperationalError) -> SyncUnavailable:
    if exc.sqlstate in _AUTH_STATES:
        return SyncUnavailable("中心数据库拒绝了本窗口的登录（同步账号或密码不对），"
                               "请在同步设置中核对，或联系管理员（本地数据已保存）")
    return SyncUnavailable(
        "无法连接中心数据库，请检查网络后重试（本地数据已保存，稍后会自动上传）")


class CentralLink:
    """How this window reaches central. `open()` yields an autocommit connection; `call`
    runs one function call on it."""

    def __init__(self, url: str, *, application_name: str, connect_timeout: int = 5,
                 statement_timeout_ms: int = 30_000, network_grace_s: float = 5.0) -> None:
        self.url = url
        self.application_name = application_name
        self.connect_timeout = connect_timeout
        self.statement_timeout_ms = statement_timeout_ms
        self.network_grace_s = network_grace_s

    @contextmanager
    def open(self) -> Iterator[Connection]:
        try:
            conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=self.connect_timeout,
                options=f"-c statement_timeout={self.statement_timeout_ms}",
                application_name=self.application_name,
            )
        except psycopg.OperationalError as exc:
            raise _connect_failure(exc) from exc
        try:
            yield conn
        except pgerrors.QueryCanceled as exc:
            raise SyncUnavailable("中心数据库响应超时，本次同步已中止（本地数据不受影响），稍后会自动重试") from exc
        except pgerrors.LockNotAvailable as exc:
            raise SyncUnavailable("中心数据库繁忙，本次同步已中止（本地数据不受影响），稍后会自动重试") from exc
        except pgerrors.InsufficientPrivilege as exc:
            # central's own refusals are Chinese sentences; PostgreSQL's are not shown
            said = exc.diag.message_primary or ""
            reason = said if _CJK.search(said) else "权限不足，请联系管理员"
            raise SyncRefused("ACCESS_DENIED", f"中心数据库拒绝了本窗口的访问：{reason}") from exc
        except psycopg.OperationalError as exc:
            raise SyncUnavailable(
                "与中心数据库的连接中断，本次同步已中止（本地数据不受影响），稍后会自动重试"
            ) from exc
        finally:
            conn.close()

    def call(self, conn: Connection, query: str, params: tuple[Any, ...] = ()) -> Any:
        """One function call. statement_timeout bounds the server side; a watchdog bounds
        the network side (a blackholed or half-open connection would otherwise wait
        forever): it shuts the socket down, which surfaces as OperationalError →
        SyncUnavailable."""
        timer = threading.Timer(self.statement_timeout_ms / 1000 + self.network_grace_s,
                                shutdown_socket, (conn,))
        timer.daemon = True
        timer.start()
        try:
            row = conn.execute(query, params).fetchone()
        finally:
            timer.cancel()
        if row is None:
            raise SyncUnavailable("中心数据库没有返回结果，本次同步已中止，稍后会自动重试")
        return row[0]
