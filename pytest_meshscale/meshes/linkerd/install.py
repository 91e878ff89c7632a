"""Linkerd's install with Helm, as linkerd.io/2-edge/tasks/install-helm does it: the `linkerd-crds` chart, then
`linkerd-control-plane` in the same namespace with the mesh's trust anchor and identity issuer, then the rollouts.

The control-plane chart refuses to render without `identityTrustAnchorsPEM` and `identity.issuer.tls.{crt,key}PEM`
(linkerd2 charts/partials/templates/_proxy.tpl, charts/linkerd-control-plane/templates/identity.yaml), and Linkerd
ships no default CA. They are generated when the plan is built, as the docs' `step certificate create` commands do
(linkerd.io/2-edge/tasks/generate-certificates): an ECDSA P-256 root `root.linkerd.cluster.local` (root-ca profile,
10 years) and an intermediate `identity.linkerd.cluster.local` signed by it (intermediate-ca profile, 8760h). They
reach helm on stdin (`-f -`, layered after the fixtures' values) and are never written to disk, logged or printed:
the step is marked secret, so the dry run says what is generated, not the key.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ..base import InstallContext
from ..install.commands import HelmRelease, PlanError, helm_release, namespace_step, rollout
from ..install.steps import Step

__all__ = ["CONTROL_PLANE", "NAMESPACE", "TRUST_ANCHOR_CN", "identity_values", "linkerd_steps"]

NAMESPACE = "linkerd"
TRUST_ANCHOR_CN, ISSUER_CN = "root.linkerd.cluster.local", "identity.linkerd.cluster.local"
ANCHOR_LIFETIME, ISSUER_LIFETIME = datetime.timedelta(days=3650), datetime.timedelta(hours=8760)
CONTROL_PLANE = ("deployment/linkerd-identity", "deployment/linkerd-destination", "deployment/linkerd-proxy-injector")
STDIN = Path("-")  # helm reads a values file named "-" from stdin


def _certificate(cn: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: ec.EllipticCurvePrivateKey,
                 path_length: int, lifetime: datetime.timedelta) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer or subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + lifetime)
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
               .add_extension(usage, critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    return builder.sign(signer, hashes.SHA256())


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def identity_values() -> str:
    """The chart values of a new trust anchor and issuer (PEM), as YAML: a fresh pair on every call."""
    anchor_key, issuer_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    anchor = _certificate(TRUST_ANCHOR_CN, anchor_key, x509.Name([]), anchor_key, 1, ANCHOR_LIFETIME)
    issuer = _certificate(ISSUER_CN, issuer_key, anchor.subject, anchor_key, 0, ISSUER_LIFETIME)
    key_pem = issuer_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()).decode()
    values = {"identityTrustAnchorsPEM": _pem(anchor),
              "identity": {"issuer": {"tls": {"crtPEM": _pem(issuer), "keyPEM": key_pem}}}}
    return yaml.safe_dump(values, default_flow_style=False)


def linkerd_steps(ctx: InstallContext) -> list[Step]:
    if ctx.fips:
        raise PlanError("fips: no plan for linkerd; the open-source proxy is not FIPS-validated (release builds "
                        "use aws-lc-rs without its FIPS feature); FIPS-validated Linkerd is Buoyant's commercial "
                        "distribution; accepted: fips only with istio-ambient")
    v, target = ctx.versions, ctx.target
    crds = HelmRelease("linkerd-crds", "linkerd-crds", v.pin("linkerd_repo"), v.pin("linkerd_chart"), NAMESPACE)
    values = (ctx.values_dir / "values-control-plane.yaml", STDIN)
    control_plane = HelmRelease("linkerd-control-plane", "linkerd-control-plane", v.pin("linkerd_repo"),
                                v.pin("linkerd_chart"), NAMESPACE, values)
    identity = replace(helm_release(target, control_plane), manifest=identity_values(), secret=True)
    return [
        namespace_step(target, NAMESPACE),
        helm_release(target, crds),
        identity,
        *(rollout(target, NAMESPACE, workload) for workload in CONTROL_PLANE),
    ]
