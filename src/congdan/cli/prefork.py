"""`serve --workers N`: one listening socket bound by the parent, N forked children serving it.

Each child builds its own app (engine, pools, caches) after the fork, so nothing with a connection or
an event loop crosses it; the kernel hands each new connection to one child. The parent only
supervises: it forwards a stop request, waits for the children, and starts a child again when one
dies without being asked to, until they die too often."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger("serve")

# The signals the parent waits for; blocked in the parent, so that they are read one by one in its
# loop instead of interrupting it, and unblocked again in each child before it serves.
_WATCHED = (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)
_PARENT_CHECK_S = 0.5


class CannotListen(Exception):
    pass


def listening_socket(host: str, port: int) -> socket.socket:
    """Bound and listening, as uvicorn would bind it; inherited by the children through fork."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Named TCP, not left 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose protocol
    # says TCP, and without it small answers wait for the client's delayed ACK (about 40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise CannotListen(str(exc)) from exc
    sock.set_inheritable(True)
    return sock


def _end_with(parent: int) -> None:
    """A child whose parent is gone (killed with SIGKILL, which it cannot forward) stops as if the
    parent had asked: nobody would restart it, stop it or count its metrics any more."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_CHECK_S)
        log.warning("serve.parent_gone", parent=parent)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@dataclass
class _Slot:
    """One place for a child: the slot keeps its index (slot 0 runs the outbox worker) across
    replacements."""

    index: int
    pid: int | None = None
    started_at: float = 0.0
    start_after: float = 0.0
    deaths: list[float] = field(default_factory=list)


@dataclass
class Supervisor:
    """Runs `child(index)` in `count` forked processes; `child` returns the process's exit code."""

    count: int
    child: Callable[[int], int]
    # More unexpected deaths of one slot than this within the window, and the parent gives up.
    max_deaths: int = 5
    death_window_s: float = 60.0
    # A child that runs this long counts as started well: its death starts the backoff afresh.
    healthy_after_s: float = 30.0
    first_pause_s: float = 0.5
    # Children still running this long after the stop request are killed.
    stop_grace_s: float = 30.0
    # Called with the pid of every child that has ended (its metrics files are then marked dead).
    reaped: Callable[[int], None] | None = None
    slots: list[_Slot] = field(init=False)
    stopping: bool = False
    gave_up: bool = False
    stop_deadline: float = float("inf")

    def __post_init__(self) -> None:
        self.slots = [_Slot(index) for index in range(self.count)]

    def run(self) -> int:
        """Until every child has exited after a stop request (0), or the children kept dying (1)."""
        signal.pthread_sigmask(signal.SIG_BLOCK, _WATCHED)
        try:
            return self._loop()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _WATCHED)

    def _loop(self) -> int:
        while True:
            self._reap()
            running = [slot for slot in self.slots if slot.pid is not None]
            if self.stopping and not running:
                return 1 if self.gave_up else 0
            now = time.monotonic()
            if self.stopping and now > self.stop_deadline:
                log.error("serve.children_killed", count=len(running))
                self._signal_all(signal.SIGKILL)
                self.stop_deadline = float("inf")
            if not self.stopping:
                for slot in self.slots:
                    if slot.pid is None and now >= slot.start_after:
                        self._start(slot)
            waits = [slot.start_after - now for slot in self.slots if slot.pid is None]
            timeout = min([1.0, *(max(w, 0.01) for w in waits)])
            received = signal.sigtimedwait(_WATCHED, timeout)
            if received is not None and received.si_signo != signal.SIGCHLD and not self.stopping:
                self._stop()

    def _stop(self) -> None:
        self.stopping = True
        self.stop_deadline = time.monotonic() + self.stop_grace_s
        # SIGTERM whatever was received: uvicorn takes a second SIGINT (a terminal's Ctrl+C also
        # reaches the children) as a request to drop open connections at once.
        self._signal_all(signal.SIGTERM)

    def _signal_all(self, signum: int) -> None:
        for slot in self.slots:
            if slot.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(slot.pid, signum)

    def _start(self, slot: _Slot) -> None:
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _WATCHED)
                _end_with(parent)
                code = self.child(slot.index)
            except BaseException:  # a child never returns into the parent's loop
                log.exception("serve.child_failed", slot=slot.index)
            finally:
                os._exit(code)
        slot.pid = pid
        slot.started_at = time.monotonic()
        log.info("serve.child_started", slot=slot.index)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.reaped is not None:
                self.reaped(pid)
            for slot in self.slots:
                if slot.pid == pid:
                    slot.pid = None
                    if not self.stopping:
                        self._died(slot, status)

    def _died(self, slot: _Slot, status: int) -> None:
        now = time.monotonic()
        if now - slot.started_at > self.healthy_after_s:
            slot.deaths.clear()
        slot.deaths = [at for at in slot.deaths if now - at < self.death_window_s] + [now]
        code = os.waitstatus_to_exitcode(status)
        how = f"signal {-code}" if code < 0 else f"exit {code}"
        if len(slot.deaths) > self.max_deaths:
            log.error("serve.children_keep_dying", slot=slot.index, ended=how, deaths=len(slot.deaths))
            self.gave_up = True
            self._stop()
            return
        pause = min(self.first_pause_s * 2 ** (len(slot.deaths) - 1), 10.0)
        slot.start_after = now + pause
        log.error("serve.child_died", slot=slot.index, ended=how, restart_in=pause)
