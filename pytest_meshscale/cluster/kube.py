"""The only module importing `kubernetes`: a Transport over the official client's ApiClient, and KubeCluster.

One ApiClient per cluster (its urllib3 pool is shared by all threads); bodies are read raw and parsed
with json (no model deserialisation), and urllib3's own retries are off so every retry is ours: paced
by the rate limiter, bounded, counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import urllib3
import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from .api import Api
from .base import ClusterError
from .client import ApiCluster
from .ratelimit import RateLimit
from .retry import RetryPolicy, TransientError

__all__ = ["KubeCluster", "KubeTransport"]

# What the connection itself can throw (resets, refused, timeouts, truncated chunks); TLS errors excluded.
_CONNECTION_ERRORS = (urllib3.exceptions.HTTPError, OSError)
POOL_SIZE = 48


def _transient(exc: BaseException) -> TransientError | ClusterError:
    if isinstance(exc, urllib3.exceptions.SSLError):
        return ClusterError(f"TLS to the API server failed: {exc}")
    return TransientError(f"connection failed: {type(exc).__name__}: {exc}")


class _KubeReply:
    def __init__(self, resp: urllib3.BaseHTTPResponse) -> None:
        self._resp = resp
        self._reusable = False  # True once a plain (non-streamed) body was read to the end
        self.status = resp.status
        self.headers: Mapping[str, str] = resp.headers

    def read(self) -> bytes:
        try:
            data = self._resp.data
        except _CONNECTION_ERRORS as exc:
            raise _transient(exc) from None
        self._reusable = True
        return data

    def chunks(self) -> Iterator[bytes]:
        try:
            while chunk := self._resp.read1(65536):  # returns whatever arrived: one watch event need not wait
                yield chunk
        except _CONNECTION_ERRORS as exc:
            raise _transient(exc) from None

    def close(self) -> None:
        # A watch socket never goes back to the pool: half-read, the next request would read the rest of
        # the stream as its response; ended by the server, it is usually being closed under us.
        if not self._reusable:
            self._resp.close()
        self._resp.release_conn()


class KubeTransport:
    """Sends raw requests with the official client's configuration (TLS, auth, token refresh) and pool."""

    def __init__(self, kubeconfig: str, context: str | None) -> None:
        config = type.__call__(k8s_client.Configuration)  # a fresh one, not the process-wide default
        config.retries = False
        # The client's default pool is 5 per CPU (10 here) while the load fans out to 32 threads, plus churn
        # and metrics: with a smaller pool, connections are thrown away and re-opened mid-load.
        config.connection_pool_maxsize = POOL_SIZE
        try:
            self.client = k8s_config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig,
                context=context or None,
                persist_config=False,
                client_configuration=config,
            )
        except (ConfigException, OSError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ClusterError(f"kubeconfig {kubeconfig} (context {context or 'current'}): {first}") from None
        except (yaml.YAMLError, TypeError, AttributeError, KeyError, ValueError) as exc:
            # The client's loader assumes a mapping: YAML errors and a plain string surface as these.
            raise ClusterError(f"kubeconfig {kubeconfig}: not a kubeconfig (a YAML mapping with clusters, users "
                               f"and contexts): {type(exc).__name__}") from None

    def send(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str], timeout: float
    ) -> _KubeReply:
        _, url, all_headers, _, _ = self.client.param_serialize(
            method, path, header_params=dict(headers), auth_settings=["BearerToken"]
        )
        try:
            resp = self.client.rest_client.pool_manager.request(
                method,
                url,
                body=body,
                headers=all_headers,
                preload_content=False,
                retries=False,
                timeout=urllib3.Timeout(connect=10, read=timeout),
            )
        except _CONNECTION_ERRORS as exc:
            raise _transient(exc) from None
        return _KubeReply(resp)

    def close(self) -> None:
        self.client.close()


class KubeCluster(ApiCluster):
    """The Cluster every scenario uses, for a sim, a kind cluster or an existing cluster alike."""

    def __init__(
        self,
        kubeconfig: str,
        context: str | None,
        run_id: str,
        kind: str,
        name: str,
        rate: RateLimit,
        policy: RetryPolicy | None = None,
        etcd_metrics_url: str = "",
    ) -> None:
        api = Api(KubeTransport(kubeconfig, context), rate, policy)
        super().__init__(api, kubeconfig=kubeconfig, run_id=run_id, kind=kind, name=name, rate=rate,
                         etcd_metrics_url=etcd_metrics_url)
        self.context = context
