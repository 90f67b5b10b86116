"""The operating system's refusal of outbound network for the processes that read
untrusted input: query workers, and the fork server whose children parse contributed RDF.

A process calls :func:`deny_network` before it reads any request. It moves into a new,
empty network namespace (``unshare(CLONE_NEWNET)``; as a user without CAP_SYS_ADMIN,
together with a new user namespace, ``CLONE_NEWUSER | CLONE_NEWNET``). The namespace
has only a loopback interface, and that one is down, so every ``connect()`` to an IP
address — the internet, the local network, and this machine's own 127.0.0.1 — fails
with "network unreachable", whatever a query parser was fooled into. Pipes and the
socket pair the process already holds keep working.

Failing closed: when the namespace cannot be entered (no namespaces in the kernel, a
container that forbids ``unshare``) :func:`deny_network` raises SandboxError and the
process must not serve. The operator may run without this layer (``CAONTO_SANDBOX=off``);
then only the query-level refusal (``caonto.engine.guard``) stands.
"""

import ctypes
import ctypes.util
import errno
import os
import socket

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


class SandboxError(RuntimeError):
    """The process could not be cut off from the network; ``str()`` says why and what to do."""


def _unshare(flags: int) -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.unshare(flags) == 0:
        return 0
    return ctypes.get_errno()


def deny_network() -> str:
    """Enter an empty network namespace; returns how ("netns" or "userns+netns").

    Raises SandboxError when neither works, or when the process can still see a network
    interface other than a loopback that is down."""
    failure = _unshare(CLONE_NEWNET)
    how = "netns"
    if failure in (errno.EPERM, errno.EINVAL):
        failure = _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        how = "userns+netns"
    if failure:
        raise SandboxError(
            "cannot refuse network access to the query workers: unshare(CLONE_NEWNET) "
            f"failed ({os.strerror(failure)}). Run caonto where network namespaces are "
            "allowed (as root, or with unprivileged user namespaces enabled), or set "
            "CAONTO_SANDBOX=off to run without this protection (see docs/security.md)")
    names = [name for _, name in socket.if_nameindex()]
    if names not in ([], ["lo"]) or _loopback_is_up():
        raise SandboxError(f"the new network namespace still has interfaces {names}")
    return how


def _loopback_is_up() -> bool:
    """Whether an IP connection can leave this process (a UDP connect sends nothing)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("127.0.0.1", 9))
    except OSError as error:
        return error.errno != errno.ENETUNREACH
    finally:
        probe.close()
    return True
