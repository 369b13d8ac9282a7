"""One TLS context per CA bundle for all the Prefect clients of a process.

Prefect makes a new ``ssl.SSLContext`` for every client it creates, and loads the whole CA
bundle into it: about 13 ms of CPU on an idle machine, holding the interpreter lock (the
cost is known upstream: PrefectHQ/prefect#19106 would let a caller pass a context). The
engine creates two or three clients for each flow run, so a host starting twenty
escalation runs at once spent a third of its CPU loading certificates, and the last run
started seconds late. A context, once configured, is safe to share between connections
and threads; Prefect configures the verifying one only at creation, so each bundle's is
made once and shared. Any other context (Prefect's insecure one, which it changes after
creating it) is still made anew each time.
"""

from __future__ import annotations

import functools
import ssl
import threading
import types
from typing import Any

_lock = threading.Lock()


@functools.cache
def _verifying(purpose: ssl.Purpose, cafile: str, capath: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(purpose, cafile=cafile, capath=capath)


def _create_default_context(
    purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH,
    *,
    cafile: str | None = None,
    capath: str | None = None,
    cadata: Any = None,
) -> ssl.SSLContext:
    if cafile is not None and cadata is None:
        return _verifying(purpose, cafile, capath)
    return ssl.create_default_context(purpose, cafile=cafile, capath=capath, cadata=cadata)


def share_tls_contexts() -> None:
    """Make the Prefect clients of this process share one context per CA bundle (once)."""
    import prefect.client.orchestration as orchestration

    with _lock:
        if getattr(orchestration.ssl, "create_default_context", None) is _create_default_context:
            return
        shared = types.ModuleType("ssl")
        shared.__dict__.update(vars(ssl))
        shared.create_default_context = _create_default_context  # type: ignore[attr-defined]
        orchestration.ssl = shared
