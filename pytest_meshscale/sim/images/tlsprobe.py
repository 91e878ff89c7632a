"""The TLS-probe Job image (`alpine/openssl`, whose entrypoint is `openssl`; `openssl s_client` in
`nicolaka/netshoot` is treated the same).

Contract: args `s_client -connect IP_OR_HOST:PORT [-tls1_2|-tls1_3] [-servername NAME]` (optionally
inside `sh -c "... | openssl s_client ..."`). A port where the cluster's mesh runs a TLS server for the pod
(SimMesh.tls_listener: Istio ambient's HBONE on a captured pod) answers with that server's version and cipher;
on the mesh's TLS ports nothing else listens; another listening port answers plaintext (handshake fails: `wrong
version number`); nothing listening: `Connection refused`. The log follows `openssl s_client`:
`CONNECTED(00000003)`, ..., `New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384`, and the `SSL-Session:` block
with `    Protocol  : TLSv1.3` and `    Cipher    : TLS_AES_256_GCM_SHA384`. Exit 0 when the handshake completes,
1 otherwise.
Policies are not applied to the probe's own connection (a simplification).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..runtime import JobOutcome
from .base import ImageHandler
from .commandline import tokens

if TYPE_CHECKING:
    from ..meshes.base import TlsListener

__all__ = ["TlsProbe"]

Obj = dict[str, Any]
# OpenSSL 3 error lines for the three ways the handshake fails.
REFUSED = "40C7B5A1E07F0000:error:8000006F:system library:BIO_connect:Connection refused:crypto/bio/bio_sock2.c:114\n"
NOT_TLS = (
    "40C7B5A1E07F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:ssl/record/ssl3_record.c:354\n"
)
BAD_VERSION = (
    "40C7B5A1E07F0000:error:0A00042E:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version:"
    "ssl/record/rec_layer_s3.c:1584:SSL alert number 70\n"
)


def _session(version: str, cipher: str) -> str:
    temp = "X25519, 253 bits" if version == "TLSv1.3" else "ECDH, prime256v1, 256 bits"
    return (
        "CONNECTED(00000003)\n---\nCertificate chain\n 0 s:\n   i:O = cluster.local\n---\n"
        "Server certificate\nsubject=\nissuer=O = cluster.local\n---\nAcceptable client certificate CA names\n"
        f"O = cluster.local\n---\nPeer signing digest: SHA256\nPeer signature type: ECDSA\n"
        f"Server Temp Key: {temp}\n---\nSSL handshake has read 1372 bytes and written 437 bytes\n"
        "Verification error: unable to get local issuer certificate\n---\n"
        f"New, {version}, Cipher is {cipher}\nServer public key is 256 bit\n"
        "Secure Renegotiation IS NOT supported\nCompression: NONE\nExpansion: NONE\nNo ALPN negotiated\n"
        f"SSL-Session:\n    Protocol  : {version}\n    Cipher    : {cipher}\n"
        "    Verify return code: 20 (unable to get local issuer certificate)\n---\nDONE\n"
    )


def _failed(reason: str) -> str:
    return (
        f"CONNECTED(00000003)\n{reason}---\nno peer certificate available\n---\n"
        "No client certificate CA names sent\n---\nSSL handshake has read 5 bytes and written 299 bytes\n"
        "Verification: OK\n---\nNew, (NONE), Cipher is (NONE)\n"
    )


class TlsProbe(ImageHandler):
    def logs(self, pod: Obj) -> str:
        return self.run_job(pod).log  # the probe is a pure function of the cluster state: rerun it

    def run_job(self, pod: Obj) -> JobOutcome:
        words = tokens(pod)
        if "-connect" not in words or words.index("-connect") + 1 >= len(words):
            return JobOutcome(1, "s_client: -connect HOST:PORT is required (simulated openssl)\n")
        host, _, port_text = words[words.index("-connect") + 1].rpartition(":")
        port = int(port_text) if port_text.isdigit() else 443
        forced = {"-tls1_2": "TLSv1.2", "-tls1_3": "TLSv1.3"}
        want = next((v for k, v in forced.items() if k in words), "")
        code, log = self.handshake(self._target(pod, host), host, port, want)
        return JobOutcome(code, log)

    def _target(self, pod: Obj, host: str) -> Obj | None:
        topo = self.env.dataplane.topo
        found = topo.resolve(host, str(pod["metadata"].get("namespace", "")))
        return found.pods[0] if found.pods else None

    def handshake(self, target: Obj | None, host: str, port: int, want: str) -> tuple[int, str]:
        listener = self._listener(target, port) if target is not None else None
        if target is None or not self._listens(target, port, listener):
            return 1, f"connect:errno=111\n{REFUSED}"
        if listener is None:
            return 1, _failed(NOT_TLS)
        negotiated = listener.negotiate(want)
        if negotiated is None:
            return 1, _failed(BAD_VERSION)
        return 0, _session(*negotiated)

    def _listener(self, target: Obj, port: int) -> TlsListener | None:
        env = self.env
        return env.model.tls_listener(env.dataplane.topo, env.faults, target, port)

    def _listens(self, target: Obj, port: int, listener: TlsListener | None) -> bool:
        if port in self.env.model.tls_ports:
            return listener is not None
        return self.env.dataplane.listens(target, port)
