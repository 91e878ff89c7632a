"""istio-sidecar's driver without a cluster: detection (istiod + the injector), the FIPS verdict (all three of
istiod's and the proxies' COMPLIANCE_POLICY and a FIPS proxy build), its cost components, its wire facts (mTLS on
the app port, told from plaintext by the payload's first bytes), and its install steps (base, istiod, no ztunnel,
no CNI, no Gateway API)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_meshscale.meshes.base import InstallContext, MeshNotFound
from pytest_meshscale.meshes.install.steps import Target
from pytest_meshscale.meshes.install.versions import load_versions
from pytest_meshscale.meshes.istio_sidecar.driver import IstioSidecarDriver, fips_verdict, proxy_image

REPO = Path(__file__).resolve().parents[2]
VALUES = {"global": {"hub": "docker.io/istio", "tag": "1.30.3", "proxy": {"image": "proxyv2"}}}
FIPS_ENV = {"COMPLIANCE_POLICY": "fips-140-2"}


def _istiod(env: dict[str, str]) -> dict[str, Any]:
    container = {"image": "docker.io/istio/pilot:1.30.3", "env": [{"name": k, "value": v} for k, v in env.items()]}
    return {"spec": {"template": {"spec": {"containers": [container]}}}}


class FakeIstio:
    """istio-system as the istiod chart leaves it: the istiod Deployment, the mesh config and the injector's."""

    def __init__(self, istiod_env: dict[str, str] | None = None, proxy_metadata: str = "", values: Any = None,
                 injector: bool = True) -> None:
        mesh = "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n" + proxy_metadata
        self.objects = {("Deployment", "istiod"): _istiod(istiod_env or {}),
                        ("ConfigMap", "istio"): {"data": {"mesh": mesh}}}
        if injector:
            self.objects[("ConfigMap", "istio-sidecar-injector")] = {
                "data": {"config": "policy: enabled\n", "values": json.dumps(values or VALUES)}}

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
        return self.objects.get((kind, name))


def test_detects_istiod_with_its_injector_and_every_policy_feature() -> None:
    info = IstioSidecarDriver().detect(FakeIstio())
    assert info.version == "1.30.3" and info.features == {"l4-policy", "l7-policy", "mtls"}
    assert info.details["proxy"] == "docker.io/istio/proxyv2:1.30.3"


def test_istiod_without_the_sidecar_injector_is_not_the_mesh() -> None:
    with pytest.raises(MeshNotFound, match="istio-sidecar-injector"):
        IstioSidecarDriver().detect(FakeIstio(injector=False))


FIPS_METADATA = "  proxyMetadata:\n    COMPLIANCE_POLICY: fips-140-2\n"
FIPS_BUILD = {"global": {"hub": "example.com/istio", "tag": "1.30.3-tetratefips-v0", "proxy": {"image": "proxyv2"}}}


@pytest.mark.parametrize(("istiod_env", "metadata", "values", "missing"), [
    ({}, FIPS_METADATA, FIPS_BUILD, "istiod has no COMPLIANCE_POLICY"),
    (FIPS_ENV, "", FIPS_BUILD, "the sidecars get no COMPLIANCE_POLICY"),
    (FIPS_ENV, FIPS_METADATA, VALUES, "docker.io/istio/proxyv2:1.30.3 is not a FIPS build"),
])
def test_fips_needs_the_policy_on_istiod_and_the_proxies_and_a_fips_proxy_build(istiod_env, metadata, values,
                                                                                missing) -> None:
    info = IstioSidecarDriver().detect(FakeIstio(istiod_env, metadata, values))
    assert "fips" not in info.features and missing in info.details["fips"]
    assert info.details["fips"].count(";") == 0  # exactly the one missing piece is named


def test_all_three_make_it_fips_and_the_reason_says_what_to_confirm() -> None:
    info = IstioSidecarDriver().detect(FakeIstio(FIPS_ENV, FIPS_METADATA, FIPS_BUILD))
    assert "fips" in info.features and "BoringSSL-FIPS" in info.details["fips"]
    facts = IstioSidecarDriver().encryption(info)
    assert facts.fips_capable and facts.fips_reason == info.details["fips"]


def test_proxy_image_follows_the_injection_template() -> None:
    full = {"global": {"hub": "h", "tag": "t", "proxy": {"image": "reg.io/x/envoy:1"}}}
    assert proxy_image(full) == "reg.io/x/envoy:1"
    assert fips_verdict({}, {}, "proxyv2")[1].startswith("not FIPS: istiod")


def test_cost_is_istiod_and_the_istio_proxy_container_of_every_meshed_pod() -> None:
    by_name = {c.name: c for c in IstioSidecarDriver().components()}
    assert set(by_name) == {"istiod", "sidecars"}
    sidecars = by_name["sidecars"]
    assert (sidecars.namespace, sidecars.labels, sidecars.containers) == (
        None, "security.istio.io/tlsMode=istio", ("istio-proxy",))


def test_the_wire_facts_look_for_tls_records_and_plaintext_requests_on_the_app_port() -> None:
    facts = IstioSidecarDriver().encryption(IstioSidecarDriver().detect(FakeIstio()))
    assert facts.channel_port(8080) == 8080 and facts.alpn == ("istio-peer-exchange", "istio")
    tls = facts.capture_filter("10.0.0.1", "10.0.0.2", "10.224.0.5", 8080)
    plain = facts.plaintext_filter("10.0.0.1", "10.0.0.2", 8080)
    assert tls == ("src host 10.0.0.1 and dst host 10.0.0.2 and tcp port 8080 and "
                   "tcp[((tcp[12:1] & 0xf0) >> 2):1] = 0x17")  # a TLS application_data record
    assert plain == ("src host 10.0.0.1 and dst host 10.0.0.2 and tcp port 8080 and "
                     "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420")  # "GET "


def _steps(fips: bool = False) -> list[Any]:
    versions = load_versions()
    ctx = InstallContext(Target(None, "kind-x"), versions, REPO / "fixtures" / "meshes" / "istio-sidecar", "kind",
                         None, fips)
    return IstioSidecarDriver().install_steps(ctx)


def test_install_is_base_then_istiod_pinned_then_the_rollout() -> None:
    steps = _steps()
    assert [s.name for s in steps] == ["namespace-istio-system", "helm-istio-base", "helm-istiod",
                                       "wait-deployment-istiod"]
    pins = load_versions()
    for step in steps[1:3]:
        argv = step.argv
        assert argv[argv.index("--version") + 1] == pins.pin("istio_sidecar_chart") == "1.30.3"
        assert argv[argv.index("--repo") + 1] == pins.pin("istio_sidecar_repo")
        assert "--set" not in argv  # the default profile: no profile=ambient
        assert all(Path(argv[i + 1]).is_file() for i, a in enumerate(argv) if a == "-f")


def test_fips_layers_its_values_on_istiod_only() -> None:
    files = {s.name: [a.rsplit("/", 1)[1] for a in s.argv if a.endswith(".yaml")] for s in _steps(fips=True)}
    assert files["helm-istiod"] == ["values-istiod.yaml", "values-istiod-fips.yaml"]
    assert files["helm-istio-base"] == ["values-base.yaml"]


def test_the_fips_values_set_exactly_what_the_verdict_reads_but_not_the_build() -> None:
    import yaml

    values = yaml.safe_load((REPO / "fixtures" / "meshes" / "istio-sidecar" / "values-istiod-fips.yaml").read_text())
    metadata = values["meshConfig"]["defaultConfig"]["proxyMetadata"]
    ok, reason = fips_verdict(values["env"], metadata, proxy_image(VALUES))
    assert not ok and reason == "not FIPS: the injected proxy docker.io/istio/proxyv2:1.30.3 is not a FIPS build of " \
                                "Envoy (BoringSSL-FIPS)"


def test_kind_dry_run_lists_the_install_steps_and_runs_nothing(pytester: pytest.Pytester,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_meshscale.provision.installer import plan_for
    from tests.unit.test_install_dry_run import METRICS, _dry_run, _steps

    out = _dry_run(pytester, monkeypatch, "--mesh-cluster=kind", "--mesh=istio-sidecar",
                   "--mesh-istio-sidecar-version=1.30.1").stdout.str()
    expected = ["kind-cluster", "wait-nodes", "namespace-istio-system", "helm-istio-base", "helm-istiod",
                "wait-deployment-istiod", *METRICS]
    assert _steps(out) == expected == [s.name for s in plan_for("kind", "istio-sidecar", load_versions()).steps]
    assert f"--config {REPO / 'fixtures' / 'kind' / 'istio-sidecar.yaml'}" in out
    assert out.count("--version 1.30.1") == 2 and "ztunnel" not in out and "gateway-api" not in out


def test_its_api_clients_are_istiod_alone_on_top_of_the_baseline_without_gateway_api() -> None:
    from pytest_meshscale.data.api_clients import load_api_clients

    clients = load_api_clients("istio-sidecar")
    own = [c for c in clients.clients if c.name not in {b.name for b in load_api_clients("baseline").clients}]
    assert [c.name for c in own] == ["istiod"] and not own[0].per_node
    assert not [w for w in own[0].watches if "gateway" in w.group]  # no Gateway API CRDs in a sidecar install
