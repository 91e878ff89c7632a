"""The local control plane's PKI and its admin kubeconfig, made with `cryptography` (no openssl subprocess).

One run, one CA: the API server's serving certificate (loopback, the `kubernetes` Service's ClusterIP and
its DNS names), an admin client certificate (O=system:masters), a front-proxy CA and client certificate
(aggregated APIs), the serving certificate of the agent's metrics.k8s.io (for the Service the APIService names,
aggregated.py), and the service-account signing key pair. ECDSA P-256 keys:
milliseconds to make, and every component accepts them. The files live in the run's temporary directory
and go with it.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..server.kubeconfig import write_kubeconfig as write_any_kubeconfig

__all__ = ["ADMISSION_SERVICE", "METRICS_SERVICE", "SERVICE_IP", "Pki", "make_pki", "write_kubeconfig"]

SERVICE_IP = "10.96.0.1"  # the first address of --service-cluster-ip-range: the `kubernetes` Service
DNS_NAMES = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
             "kubernetes.default.svc.cluster.local")
# namespace, name of the Service behind the APIService v1beta1.metrics.k8s.io: the API server checks the agent's
# certificate for NAME.NAMESPACE.svc
METRICS_SERVICE = ("kube-system", "meshscale-metrics")
# the mutating admission webhook the agent serves for a mesh that injects (control_plane/admission.py)
ADMISSION_SERVICE = ("kube-system", "meshscale-admission")
_VALID = datetime.timedelta(days=7)  # one run; a week is plenty and never worth renewing


@dataclass(frozen=True, slots=True)
class Pki:
    dir: Path

    def path(self, name: str) -> Path:
        return self.dir / name

    @property
    def ca_pem(self) -> bytes:
        return self.path("ca.crt").read_bytes()


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _cert(subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey]
          | None, *, ca: bool = False, usages: tuple[x509.ObjectIdentifier, ...] = (),
          sans: list[x509.GeneralName] | None = None) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + _VALID)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                        critical=True)
    else:
        builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                                        critical=True).add_extension(x509.ExtendedKeyUsage(list(usages)), False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(directory: Path, name: str, cert: x509.Certificate | None, key: ec.EllipticCurvePrivateKey) -> None:
    if cert is not None:
        (directory / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(directory / f"{name}.key", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))


def make_pki(directory: Path) -> Pki:
    """Write ca, apiserver, admin, front-proxy-ca, front-proxy-client, metrics-agent, admission-agent (.crt/.key),
    sa.key/sa.pub."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, fp_key = _key(), _key()
    ca = _cert(_name("meshscale-control-plane-ca"), ca_key, None, ca=True)
    fp_ca = _cert(_name("meshscale-front-proxy-ca"), fp_key, None, ca=True)
    server = ExtendedKeyUsageOID.SERVER_AUTH
    client = ExtendedKeyUsageOID.CLIENT_AUTH
    sans: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ("127.0.0.1", SERVICE_IP)]
    sans += [x509.DNSName(n) for n in DNS_NAMES]
    signed = {
        "apiserver": (_name("kube-apiserver"), (ca.subject, ca_key), (server,), sans),
        "admin": (_name("meshscale-admin", "system:masters"), (ca.subject, ca_key), (client,), None),
        "front-proxy-client": (_name("front-proxy-client"), (fp_ca.subject, fp_key), (client,), None),
        "metrics-agent": (_name("meshscale-metrics"), (ca.subject, ca_key), (server,), [x509.DNSName(
            f"{METRICS_SERVICE[1]}.{METRICS_SERVICE[0]}.svc")]),
        "admission-agent": (_name("meshscale-admission"), (ca.subject, ca_key), (server,), [x509.DNSName(
            f"{ADMISSION_SERVICE[1]}.{ADMISSION_SERVICE[0]}.svc")]),
    }
    _write(directory, "ca", ca, ca_key)
    _write(directory, "front-proxy-ca", fp_ca, fp_key)
    for name, (subject, issuer, usages, names) in signed.items():
        key = _key()
        _write(directory, name, _cert(subject, key, issuer, usages=usages, sans=names), key)
    sa_key = _key()
    _write(directory, "sa", None, sa_key)
    (directory / "sa.pub").write_bytes(sa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return Pki(directory)


def write_kubeconfig(path: Path, url: str, pki: Pki, context: str) -> None:
    """The admin kubeconfig (client certificate, embedded), written atomically with mode 0600."""
    def b64(name: str) -> str:
        return base64.b64encode(pki.path(name).read_bytes()).decode()

    user = {"client-certificate-data": b64("admin.crt"), "client-key-data": b64("admin.key")}
    write_any_kubeconfig(path, url, pki.path("ca.crt").read_bytes(), user, context)
