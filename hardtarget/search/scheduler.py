"""Dask scheduler addresses, checked before any work, and connections bounded in time.

A malformed address is refused at once; a closed port at once; an unreachable host, a
server that accepts and stays silent, or one that speaks another protocol (whose reply
Dask would read as a frame length of exabytes: ``MemoryError``) within the connect
timeout, ``min(10 s, what is left of the run's time limit)``.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time

from ..errors import HardTargetError

__all__ = ["CONNECT_TIMEOUT", "check_scheduler", "connect", "connect_timeout", "SCHEDULER_ENV"]

SCHEDULER_ENV = "HARDTARGET_SCHEDULER"


def _distributed():
    try:
        import distributed
    except ImportError:
        raise HardTargetError(
            "a scheduler address needs dask.distributed: pip install 'dask[distributed]'"
        ) from None
    return distributed


CONNECT_TIMEOUT = 10.0  # seconds to reach a Dask scheduler when no time limit says less
_ADDRESS = re.compile(
    r"^(?:(?:tcp|tls|ws|wss|ucx)://)?"  # a scheme, or none (tcp)
    r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"  # host
    r"(?::(\d{1,5}))?$"  # port
)


def check_scheduler(scheduler):
    """``scheduler`` if it is a ``distributed.Client`` or a well-formed address
    (``[tcp://]host[:port]``, also ``tls``, ``ws``, ``wss``, ``ucx``, ``inproc``); else a
    :class:`HardTargetError` naming the form expected."""
    if not isinstance(scheduler, str):
        if type(scheduler).__name__ == "Client":
            return scheduler
        raise HardTargetError(
            f"scheduler must be an address such as tcp://host:8786 or a distributed.Client, "
            f"got {type(scheduler).__name__}"
        )
    text = scheduler.strip()
    m = _ADDRESS.match(text)
    ok = (m is not None and (m.group(1) is None or 1 <= int(m.group(1)) <= 65535)) or (
        text.startswith("inproc://") and len(text) > 9 and not any(c.isspace() for c in text)
    )
    if not ok:
        raise HardTargetError(
            f"{scheduler!r} is not a Dask scheduler address; give one like tcp://host:8786 "
            f"(from --scheduler or ${SCHEDULER_ENV})"
        )
    return text


def connect(scheduler: str, timeout: float = CONNECT_TIMEOUT):
    """A ``distributed.Client`` for ``scheduler``, or a :class:`HardTargetError` within
    about ``timeout`` seconds: a closed port, an unreachable host, and a server that is
    not a Dask scheduler (says nothing, or something else) are all refused in time.

    The connection runs in a helper thread that is abandoned at the deadline: Dask's
    own ``timeout`` does not cover a server that accepts and then stays silent.
    """
    distributed = _distributed()
    address = check_scheduler(scheduler)
    out: dict = {}
    start = time.monotonic()

    def left() -> float:
        return max(0.1, timeout - (time.monotonic() - start))

    async def handshake() -> None:  # Dask's own greeting, without a Client to clean up
        comm = await distributed.comm.connect(address, timeout=left())
        await comm.close()

    def attempt() -> None:
        try:
            _refused(address, left())
            asyncio.run(handshake())
            out["client"] = distributed.Client(address, timeout=left(), set_as_default=False)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            exc.__traceback__ = None  # keep no half-made client alive
            out["error"] = exc

    thread = threading.Thread(target=attempt, daemon=True, name="hardtarget-dask-connect")
    thread.start()
    thread.join(left() + 0.5)
    fix = (
        f"check the address (from --scheduler or ${SCHEDULER_ENV}), start one with "
        "`dask scheduler`, or run without a scheduler"
    )
    if "client" in out:
        return out["client"]
    if thread.is_alive():
        raise HardTargetError(
            f"the Dask scheduler at {address} did not answer within {timeout:.3g} s (is it a "
            f"Dask scheduler?); {fix}"
        )
    exc = out.get("error")
    if isinstance(exc, ConnectionRefusedError):
        raise HardTargetError(f"nothing listens at {address} (connection refused); {fix}")
    if isinstance(exc, MemoryError):  # a frame length read from a reply that is not Dask's
        raise HardTargetError(f"{address} answered, but not as a Dask scheduler does; {fix}")
    raise HardTargetError(
        f"cannot connect to the Dask scheduler at {address} within {timeout:.3g} s "
        f"({type(exc).__name__}: {exc}); {fix}"
    )


def _refused(address: str, timeout: float) -> None:
    """Raise ``ConnectionRefusedError`` at once for a closed TCP port (Dask would retry
    it until its timeout); other outcomes are left to Dask's own connection."""
    m = _ADDRESS.match(address)
    if (
        m is None
        or not re.match(r"^(tcp://)?[^/]", address)
        or "://" in address.replace("tcp://", "", 1)
    ):
        return
    hostport = address.removeprefix("tcp://")
    host, _, port = hostport.rpartition(":") if m.group(1) else (hostport, "", "8786")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except ConnectionRefusedError:
        raise
    except OSError:
        pass


def connect_timeout(deadline: float | None) -> float:
    """Seconds to allow for connecting: ``CONNECT_TIMEOUT``, or less when the run's
    wall-clock ``deadline`` (``time.time()``) is sooner (at least 0.5 s)."""
    if deadline is None:
        return CONNECT_TIMEOUT
    return max(0.5, min(CONNECT_TIMEOUT, deadline - time.time()))
