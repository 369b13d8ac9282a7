"""The Prefect clients of a process share one TLS context per CA bundle."""

from __future__ import annotations

import ssl

import certifi
import pytest
from prefect.client.orchestration import SyncPrefectClient
from prefect.settings import PREFECT_API_SSL_CERT_FILE

from adapters.prefect_tls import share_tls_contexts


def context_of(client: SyncPrefectClient) -> ssl.SSLContext:
    pool = client._client._transport._pool  # type: ignore[attr-defined]
    return pool._ssl_context


def test_two_clients_share_the_verifying_context_once_shared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import prefect.client.orchestration as orchestration

    monkeypatch.setattr(orchestration, "ssl", ssl)  # as Prefect made it: one context each
    apart = [SyncPrefectClient("http://127.0.0.1:9/api") for _ in range(2)]
    assert context_of(apart[0]) is not context_of(apart[1])

    share_tls_contexts()
    share_tls_contexts()  # once is enough; twice changes nothing
    shared = [SyncPrefectClient("http://127.0.0.1:9/api") for _ in range(2)]
    assert context_of(shared[0]) is context_of(shared[1])
    context = context_of(shared[0])
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # certifi's bundle is loaded
    assert orchestration.ssl.SSLContext is ssl.SSLContext  # the rest of ssl unchanged
    # a context made without a bundle, like Prefect's insecure one, is never shared
    assert orchestration.ssl.create_default_context() is not (
        orchestration.ssl.create_default_context()
    )
    bundle = PREFECT_API_SSL_CERT_FILE.value() or certifi.where()  # the one Prefect loads
    assert orchestration.ssl.create_default_context(cafile=bundle) is context
