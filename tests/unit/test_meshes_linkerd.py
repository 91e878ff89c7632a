"""Linkerd's driver without a cluster: detection, the install steps (CRDs, then the control plane with a trust
anchor and issuer generated for the plan and passed on stdin), the identity check, the fleet's injection opt-in."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from pytest_meshscale.data.profiles import load_profile
from pytest_meshscale.meshes.base import InstallContext, MeshNotFound
from pytest_meshscale.meshes.install.commands import PlanError
from pytest_meshscale.meshes.install.steps import Target
from pytest_meshscale.meshes.install.versions import load_versions
from pytest_meshscale.meshes.linkerd.driver import LinkerdDriver
from pytest_meshscale.meshes.linkerd.identity import issued_until, missing_identities
from pytest_meshscale.provision.installer import plan_for, render_dry_run
from pytest_meshscale.scenario.workloads import fleet_spec

REPO = Path(__file__).resolve().parents[2]
VALUES = REPO / "fixtures" / "meshes" / "linkerd"


def _ctx(fips: bool = False) -> InstallContext:
    return InstallContext(Target("/tmp/kc", "kind-x"), load_versions(), VALUES, "kind", None, fips)


def test_install_is_crds_then_the_control_plane_in_one_namespace_then_its_rollouts() -> None:
    steps = LinkerdDriver().install_steps(_ctx())
    assert [s.name for s in steps] == [
        "namespace-linkerd", "helm-linkerd-crds", "helm-linkerd-control-plane", "wait-deployment-linkerd-identity",
        "wait-deployment-linkerd-destination", "wait-deployment-linkerd-proxy-injector"]
    for step in steps[1:3]:
        argv = step.argv
        assert argv[argv.index("--version") + 1] == "2026.6.3" and argv[argv.index("--namespace") + 1] == "linkerd"
        assert argv[argv.index("--repo") + 1] == "https://helm.linkerd.io/edge"
    control = steps[2].argv
    files = [control[i + 1] for i, a in enumerate(control) if a == "-f"]
    assert files == [str(VALUES / "values-control-plane.yaml"), "-"]  # the generated identity last, on stdin


def _pem_certs(text: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(text.encode())


def test_the_trust_anchor_and_issuer_are_generated_per_plan_as_the_docs_make_them_and_kept_secret() -> None:
    first, second = LinkerdDriver().install_steps(_ctx())[2], LinkerdDriver().install_steps(_ctx())[2]
    assert first.secret and first.manifest and first.manifest != second.manifest  # fresh per plan
    values = yaml.safe_load(first.manifest)
    (anchor,) = _pem_certs(values["identityTrustAnchorsPEM"])
    tls = values["identity"]["issuer"]["tls"]
    (issuer,) = _pem_certs(tls["crtPEM"])
    assert "PRIVATE KEY" in tls["keyPEM"]
    assert anchor.subject.rfc4514_string() == "CN=root.linkerd.cluster.local"
    assert issuer.subject.rfc4514_string() == "CN=identity.linkerd.cluster.local" and issuer.issuer == anchor.subject
    issuer.verify_directly_issued_by(anchor)
    for cert, path_length in ((anchor, 1), (issuer, 0)):
        key = cert.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"  # ECDSA P-256 only
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        assert constraints.ca and constraints.path_length == path_length
    lifetime = issuer.not_valid_after_utc - issuer.not_valid_before_utc
    assert datetime.timedelta(hours=8760) <= lifetime <= datetime.timedelta(hours=8761)


def test_the_values_file_keeps_the_proxy_in_spec_containers_and_the_default_policy() -> None:
    values = yaml.safe_load((VALUES / "values-control-plane.yaml").read_text())
    assert values == {"proxy": {"defaultInboundPolicy": "all-unauthenticated", "nativeSidecar": False}}


def test_fips_has_no_plan_and_the_verdict_says_why_without_claiming_it() -> None:
    with pytest.raises(PlanError, match="not FIPS-validated"):
        LinkerdDriver().install_steps(_ctx(fips=True))
    driver = LinkerdDriver()
    facts = driver.encryption(driver.detect(FakeCluster()))
    assert not facts.fips_capable and "not FIPS-validated" in facts.fips_reason
    assert (facts.encrypted_port, facts.encrypted_protocol, facts.between) == (4143, "tcp", "pods")


def _deployment(image: str, container: str) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": [{"name": "linkerd-proxy", "image": "p"},
                                                          {"name": container, "image": image}]}}}}


class FakeCluster:
    def __init__(self, objects: dict[tuple[str, str], Any] | None = None,
                 pods: list[Any] | None = None, events: list[Any] | None = None) -> None:
        image = "cr.l5d.io/linkerd/controller:edge-26.6.3"
        control_plane = ("destination", "identity", "proxy-injector")
        self.objects = objects if objects is not None else {
            ("Deployment", f"linkerd-{n}"): _deployment(image, n) for n in control_plane}
        self.pods, self.events = pods or [], events or []

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
        return self.objects.get((kind, name))

    def list(self, api_version: str, kind: str, namespace: str | None = None, labels: str | None = None) -> list[Any]:
        items = self.pods if kind == "Pod" else self.events
        return [i for i in items if i["metadata"]["namespace"] == namespace]


def test_detect_finds_the_control_plane_and_its_version_or_names_what_is_missing() -> None:
    info = LinkerdDriver().detect(FakeCluster())
    assert info.version == "edge-26.6.3" and info.features == {"l4-policy", "l7-policy", "mtls"}
    with pytest.raises(MeshNotFound, match="linkerd/linkerd-destination, linkerd/linkerd-identity"):
        LinkerdDriver().detect(FakeCluster({}))


def _pod(ns: str, account: str, meshed: bool = True) -> dict[str, Any]:
    containers = [{"name": "app"}] + ([{"name": "linkerd-proxy"}] if meshed else [])
    return {"metadata": {"namespace": ns}, "spec": {"serviceAccountName": account, "containers": containers}}


def _issued(ns: str, account: str, until: str) -> dict[str, Any]:
    message = (f"issued certificate for {account}.{ns}.serviceaccount.identity.linkerd.cluster.local until "
               f"{until} +0000 UTC: ee7f70a8bc315d72")
    return {"metadata": {"namespace": ns}, "reason": "IssuedLeafCertificate", "message": message}


def test_the_identity_event_is_parsed_as_the_identity_controller_writes_it() -> None:
    found = issued_until(_issued("test", "default", "2024-07-26 07:26:51.123456789"))
    assert found == ("default.test.serviceaccount.identity.linkerd.cluster.local",
                     datetime.datetime(2024, 7, 26, 7, 26, 51, tzinfo=datetime.UTC))


def test_every_meshed_account_needs_an_unexpired_certificate() -> None:
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    pods = [_pod("a", "default"), _pod("a", "fortio-client"), _pod("b", "default"), _pod("b", "other", meshed=False)]
    events = [_issued("a", "default", "2026-01-02 00:00:00"), _issued("a", "fortio-client", "2025-12-31 00:00:00")]
    missing = missing_identities(FakeCluster(pods=pods, events=events), ["a", "b"], now)
    assert set(missing) == {"fortio-client.a.serviceaccount.identity.linkerd.cluster.local",
                            "default.b.serviceaccount.identity.linkerd.cluster.local"}
    assert "expired" in missing["fortio-client.a.serviceaccount.identity.linkerd.cluster.local"]
    with pytest.raises(ValueError, match="nothing is meshed"):
        missing_identities(FakeCluster(pods=[_pod("b", "other", meshed=False)]), ["b"], now)


def test_the_fleet_namespaces_carry_the_injection_annotation_not_a_label() -> None:
    driver = LinkerdDriver()
    spec = fleet_spec(load_profile("smoke"), driver.namespace_labels(), "t", driver.namespace_annotations())
    namespace = spec.manifests_by_namespace[spec.namespaces[0]][0]
    assert namespace["metadata"]["annotations"] == {"linkerd.io/inject": "enabled"}
    assert "linkerd.io/inject" not in namespace["metadata"]["labels"]


def test_the_kind_dry_run_shows_every_step_and_never_the_generated_key() -> None:
    plan = plan_for("kind", "linkerd", load_versions())
    text = render_dry_run(plan)
    assert [s.name for s in plan.steps] == [
        "kind-cluster", "wait-nodes", "namespace-linkerd", "helm-linkerd-crds", "helm-linkerd-control-plane",
        "wait-deployment-linkerd-identity", "wait-deployment-linkerd-destination",
        "wait-deployment-linkerd-proxy-injector", "helm-metrics-server", "wait-deployment-metrics-server"]
    assert "a key generated when the plan is built, never printed" in text and "PRIVATE KEY" not in text
    assert "BEGIN CERTIFICATE" not in text and "kubeVersion >=1.31.0-0" in text
    assert plan.binaries() == ("kind", "kubectl", "helm")  # no tool beyond the three: the certificates are Python's
