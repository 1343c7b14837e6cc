"""A small threaded TCP fault proxy between a window and PostgreSQL.

Modes:
* pass — forward everything;
* blackhole — accept and swallow (connections hang, like a dead route);
* `drop_push_reply` — with probability p per `sync.push` request, forward the request, wait
  until the server's ReadyForQuery (the transaction has committed) and then cut the connection
  without delivering the reply: the classic lost response.
* `blackhole_on` — once a request containing this marker is seen, swallow everything after it
  on that connection (a half-open connection mid-statement).
* `drop_request` — with probability p per sync call, cut the connection instead of forwarding
  the request (it never reaches central).
* `delay` — up to this many seconds of latency (uniform) before each chunk from the server.
* `max_upstream` — cut a connection once it has carried more than this many bytes towards the
  server (a link that drops every connection after a while, whatever is in flight).
* `cut()` — close every open connection now (a cable pulled mid-sync).
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time

READY_FOR_QUERY = b"Z\x00\x00\x00\x05"


class FaultProxy:
    def __init__(self, target: tuple[str, int], *, seed: int = 0) -> None:
        self.target = target
        self.mode = "pass"
        self.drop_push_reply = 0.0
        self.drop_request = 0.0
        self.delay = 0.0
        self.dropped_requests = 0
        self.blackhole_on: bytes | None = None
        self.max_upstream = 0
        self.cut_connections = 0
        self.dropped_replies = 0
        self.rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._socks: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        self._server.close()
        for s in list(self._socks):
            _close(s)

    def cut(self) -> None:
        """Close every connection open now (new ones are accepted as usual)."""
        socks, self._socks = self._socks, []
        for s in socks:
            _close(s)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self._socks.append(client)
            if self.mode == "blackhole":
                continue  # keep it open, never answer
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                _close(client)
                continue
            self._socks.append(upstream)
            state = {"armed": False, "hole": False}
            threading.Thread(target=self._up, args=(client, upstream, state), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client, state),
                             daemon=True).start()

    def _up(self, src: socket.socket, dst: socket.socket, state: dict[str, bool]) -> None:
        try:
            while data := src.recv(65536):
                if self.blackhole_on and self.blackhole_on in data:
                    state["hole"] = True
                if state["hole"] or self.mode == "blackhole":
                    continue
                if b"sync." in data and self.drop_request:
                    with self._lock:
                        drop = self.rng.random() < self.drop_request
                        self.dropped_requests += drop
                    if drop:
                        break
                if b"sync.push" in data:
                    with self._lock:
                        state["armed"] = self.rng.random() < self.drop_push_reply
                state["sent"] = state.get("sent", 0) + len(data)
                if self.max_upstream and state["sent"] > self.max_upstream:
                    with self._lock:
                        self.cut_connections += 1
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            if not state["hole"]:
                _close(dst)

    def _down(self, src: socket.socket, dst: socket.socket, state: dict[str, bool]) -> None:
        held = b""
        try:
            while data := src.recv(65536):
                if state["hole"] or self.mode == "blackhole":
                    continue
                if self.delay:
                    with self._lock:
                        pause = self.rng.uniform(0, self.delay)
                    time.sleep(pause)
                if state["armed"]:
                    held += data
                    if READY_FOR_QUERY in held:  # committed; now lose the reply
                        with self._lock:
                            self.dropped_replies += 1
                        break
                    continue
                dst.sendall(data)
        except OSError:
            pass
        finally:
            if not state["hole"]:
                _close(dst)
                _close(src)


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    s.close()
