"""Istio sidecar mode in the sim: the injector (the pod admission), policy at the destination's sidecar (403 on an
HTTP port, a reset on a TCP port, STRICT resets plaintext), mTLS on the app port between sidecars, the TLS
listener the openssl probe meets (ALPN-gated in PERMISSIVE), the capture's payload filters, and the cost model."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from test_sim_dataplane_world import World, plane
from test_sim_images_fortio import fetch, runtime
from test_sim_images_jobs import captured, job

from pytest_meshscale.data.profiles import load_profile
from pytest_meshscale.meshes.base import MeshInfo
from pytest_meshscale.meshes.istio_sidecar.driver import IstioSidecarDriver
from pytest_meshscale.sim.agent.admission import review_response
from pytest_meshscale.sim.dataplane import Topology, Verdict
from pytest_meshscale.sim.faults import Faults
from pytest_meshscale.sim.images import SimRuntime
from pytest_meshscale.sim.images.capture import parse_tcpdump
from pytest_meshscale.sim.meshes.base import SimContext
from pytest_meshscale.sim.meshes.istio_sidecar import IstioSidecarSim
from pytest_meshscale.sim.meshes.istio_sidecar.policy import SERVER_SIDECAR
from pytest_meshscale.sim.perf import Counts, load_params, usage_of
from pytest_meshscale.sim.server.validation import pod_spec_problems

AP = "authorizationpolicies.security.istio.io"
PA = "peerauthentications.security.istio.io"
ENABLED = {"istio-injection": "enabled"}
MESH = IstioSidecarSim()


def sidecar_world(faults: Faults | None = None, **ns_labels: dict[str, str]) -> World:
    """ns-001 and ns-002 labelled for injection (unless overridden), istiod installed, the injector admitting pods."""
    w = World()
    ctx = SimContext(load_profile("smoke"), faults or Faults())
    MESH.install(w.store, ctx)
    w.store.admission.append(lambda resource, obj: MESH.admit(w.store, resource, obj, ctx))
    for name, ip in (("client-1", "192.168.0.10"), ("server-1", "192.168.0.11"), ("server-2", "192.168.0.12")):
        w.node(name, ip)
    for ns in ("ns-001", "ns-002", "plain"):
        w.ns(ns, **ns_labels.get(ns.replace("-", "_"), ENABLED if ns != "plain" else {}))
    return w


def seed_pods(w: World) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    client = w.pod("ns-001", "fortio-client", "client-1", {"app": "fortio-client"}, sa="fortio-client")
    w.pod("ns-001", "loadservice-a", "server-1", {"app": "loadservice"}, "gcr.io/istio-testing/isotope:0.0.3")
    w.svc("ns-001", "loadservice", {"app": "loadservice"})
    other = w.pod("ns-002", "fortio-client", "client-1", {"app": "fortio-client"}, sa="fortio-client")
    return client, w.store.get("pods", "ns-001", "loadservice-a"), other


def names(pod: dict[str, Any], field: str = "containers") -> list[str]:
    return [c["name"] for c in pod["spec"].get(field) or []]


def test_pods_of_enabled_namespaces_get_the_sidecar_and_init_container() -> None:
    w = sidecar_world()
    client, server, _ = seed_pods(w)
    assert names(server) == ["main", "istio-proxy"] and names(server, "initContainers") == ["istio-init"]
    proxy = server["spec"]["containers"][1]
    assert proxy["image"] == "docker.io/istio/proxyv2:1.30.3"
    assert proxy["resources"]["requests"] == {"cpu": "100m", "memory": "128Mi"}
    labels, annotations = server["metadata"]["labels"], server["metadata"]["annotations"]
    assert labels["security.istio.io/tlsMode"] == "istio" and labels["service.istio.io/canonical-name"] == "loadservice"
    assert '"containers": ["istio-proxy"]' in annotations["sidecar.istio.io/status"]
    assert pod_spec_problems(server["spec"], "spec") == []  # the API server's own checks accept it


@pytest.mark.parametrize(("ns", "labels", "host_network", "injected"), [
    ("plain", {}, False, False),  # namespace not labelled
    ("plain", {"sidecar.istio.io/inject": "true"}, False, True),  # a pod may opt in
    ("ns-001", {"sidecar.istio.io/inject": "false"}, False, False),  # or out
    ("ns-001", {}, True, False),  # hostNetwork pods never (the capture Job)
])
def test_the_injection_policy(ns: str, labels: dict[str, str], host_network: bool, injected: bool) -> None:
    w = sidecar_world()
    pod = {"metadata": {"name": "p", "namespace": ns, "labels": labels},
           "spec": {"hostNetwork": host_network, "containers": [{"name": "c", "image": "x"}]}}
    assert ("istio-proxy" in names(w.store.create("pods", pod))) is injected


def test_sidecar_missing_skips_the_first_enabled_namespace_only() -> None:
    w = sidecar_world(Faults(sidecar_missing=True))
    client, server, other = seed_pods(w)
    assert names(server) == ["main"] and names(client) == ["main"] and "istio-proxy" in names(other)


def _ap(rules: list[dict[str, Any]] | None, ns: str = "ns-001") -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": "loadservice"}}, "action": "ALLOW"}
    return {"metadata": {"name": "p", "namespace": ns}, "spec": {**spec, **({"rules": rules} if rules else {})}}


def test_every_deny_on_an_http_port_is_the_server_sidecars_403() -> None:
    w = sidecar_world()
    client, _, other = seed_pods(w)
    rule = {"from": [{"source": {"principals": ["cluster.local/ns/ns-001/sa/fortio-client"]}}],
            "to": [{"operation": {"ports": ["8080"], "methods": ["GET"], "paths": ["/"]}}]}
    w.add(AP, _ap([rule]))
    dp = plane(w, "istio-sidecar")
    assert dp.decide(client, "loadservice", 8080, "GET", "/").allowed
    for out in (dp.decide(client, "loadservice", 8080, "GET", "/x"), dp.decide(other, "loadservice.ns-001", 8080)):
        assert (out.verdict, out.status, out.body, out.by) == (Verdict.DENY_L7, 403, "RBAC: access denied",
                                                               SERVER_SIDECAR)
    assert dp.decide(client, "loadservice", 8080, "GET", "/x").verdict is Verdict.DENY_L7
    assert plane(w, "istio-sidecar", l7_bypass=True).decide(client, "loadservice", 8080, "GET", "/x").allowed


def test_a_tcp_port_is_enforced_by_network_rbac_a_reset_and_l7_rules_fail_closed() -> None:
    w = sidecar_world()
    client, _, _ = seed_pods(w)
    w.store.mutate("services", "ns-001", "loadservice", lambda o: o["spec"]["ports"][0].update(name="tcp-web"))
    w.add(AP, _ap([{"to": [{"operation": {"ports": ["8080"], "methods": ["GET"]}}]}]))
    out = plane(w, "istio-sidecar").decide(client, "loadservice", 8080)
    assert (out.verdict, out.how) == (Verdict.DENY_L4, "reset") and out.reason.startswith("network RBAC")


def test_strict_resets_plaintext_and_keeps_mtls_sources() -> None:
    w = sidecar_world()
    client, server, _ = seed_pods(w)
    dp = plane(w, "istio-sidecar")
    assert dp.apiserver_proxy_outcome(server, 8080).allowed  # PERMISSIVE by default
    w.add(PA, {"metadata": {"name": "strict", "namespace": "ns-001"}, "spec": {"mtls": {"mode": "STRICT"}}})
    refused = dp.apiserver_proxy_outcome(server, 8080)
    assert (refused.verdict, refused.how) == (Verdict.DENY_L4, "reset")
    assert dp.decide(client, "loadservice", 8080).allowed


def test_mtls_on_the_app_port_only_between_two_sidecars() -> None:
    w = sidecar_world(ns_002={})
    client, server, _ = seed_pods(w)
    outsider = w.pod("ns-002", "no-sidecar", "client-1", {"app": "x"})
    dp = plane(w, "istio-sidecar")
    view = dp.wire(client, server, 8080)
    assert (view.protocol, view.encrypted, view.port, view.tls_version, view.cipher, view.fips) == (
        "sidecar-mtls", True, 8080, "TLSv1.3", "TLS_AES_128_GCM_SHA256", False)
    assert dp.wire(outsider, server, 8080).protocol == "plaintext"
    assert plane(w, "istio-sidecar", plaintext=True).wire(client, server, 8080).protocol == "plaintext"


def _fips(w: World, image_suffix: str) -> None:
    def env(o: dict[str, Any]) -> None:
        o["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "COMPLIANCE_POLICY",
                                                                       "value": "fips-140-2"})
    w.store.mutate("deployments.apps", "istio-system", "istiod", env)
    w.store.mutate("configmaps", "istio-system", "istio", lambda o: o["data"].update(
        mesh=o["data"]["mesh"].replace("defaultConfig:", "defaultConfig:\n  proxyMetadata: {COMPLIANCE_POLICY: "
                                       "fips-140-2}")))
    w.store.mutate("configmaps", "istio-system", "istio-sidecar-injector", lambda o: o["data"].update(
        values=o["data"]["values"].replace('"tag": "1.30.3"', f'"tag": "1.30.3{image_suffix}"')))


@pytest.mark.parametrize(("suffix", "fips"), [("", False), ("-fips", True)])
def test_compliance_policy_means_tls12_fips_suites_and_fips_needs_the_build(suffix: str, fips: bool) -> None:
    w = sidecar_world()
    _fips(w, suffix)
    client, server, _ = seed_pods(w)  # injected after: the sidecars carry the policy in their env
    view = plane(w, "istio-sidecar").wire(client, server, 8080)
    assert (view.tls_version, view.cipher, view.tls_versions, view.fips) == (
        "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", ("TLSv1.2",), fips)


def test_the_probe_needs_istio_alpn_in_permissive_and_not_in_strict() -> None:
    w = sidecar_world()
    _, server, _ = seed_pods(w)
    topo = Topology(w.store)
    permissive = MESH.tls_listener(topo, Faults(), server, 8080)
    assert permissive is not None and not permissive.takes(())
    assert permissive.takes(("istio-peer-exchange", "istio")) and permissive.alpn(("istio",)) == ""
    assert permissive.alpn(("istio-peer-exchange", "istio")) == "istio-peer-exchange"
    assert permissive.negotiate("") == ("TLSv1.3", "TLS_AES_256_GCM_SHA384")  # OpenSSL's client order
    assert permissive.negotiate("TLSv1.2") == ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384")
    w.add(PA, {"metadata": {"name": "strict", "namespace": "ns-001"}, "spec": {"mtls": {"mode": "STRICT"}}})
    strict = MESH.tls_listener(topo, Faults(), server, 8080)
    assert strict is not None and strict.takes(())
    assert MESH.tls_listener(topo, Faults(plaintext=True), server, 8080) is None
    assert MESH.tls_listener(topo, Faults(), server, 15090) is None  # the sidecar's own prometheus port


PAYLOAD = "tcp[((tcp[12:1] & 0xf0) >> 2):{n}] {op} 0x{hex}"


@pytest.mark.parametrize(("expr", "plain_get", "tls_record"), [
    (PAYLOAD.format(n=4, op="=", hex="47455420"), True, False),
    (PAYLOAD.format(n=1, op="=", hex="17"), False, True),
    (PAYLOAD.format(n=1, op="!=", hex="17"), True, False),
])
def test_capture_filters_on_the_payloads_first_bytes(expr: str, plain_get: bool, tls_record: bool) -> None:
    _, _, keep = parse_tcpdump(["tcpdump", "-n", f"src host 10.0.0.1 and tcp port 8080 and {expr}"])
    packet = ("tcp", "10.0.0.1", 43210, "10.0.0.2", 8080)
    assert keep((*packet, b"GET ")) is plain_get
    assert keep((*packet, bytes.fromhex("170303"))) is tls_record
    assert not keep(("tcp", "10.0.0.1", 43210, "10.0.0.2", 8081, b"GET "))


def test_every_meshed_pod_pays_a_sidecar_whose_memory_is_the_perf_pages_60_mb_at_1000_services() -> None:
    params = load_params()
    (sidecar,) = [c for c in params.components if c.name == "sidecar"]
    assert (sidecar.label, sidecar.container) == ("security.istio.io/tlsMode=istio", "istio-proxy")
    cores, memory = usage_of(sidecar, 1.0, Counts(services=1000))
    assert memory == 60 * 1024 * 1024 and cores == pytest.approx(0.202)
    idle_cores, idle_memory = usage_of(sidecar, 0.0, Counts(services=1000))
    assert idle_memory == memory  # request rate does not change a sidecar's memory (perf page)


def _capture(w: World, rt: SimRuntime, flt: str, name: str) -> int:
    cmd = ["sh", "-c", f"timeout 5 tcpdump -n -i any -c 50 '{flt}'; true"]  # as scenario/encryption.py
    pod = job(w, name, "nicolaka/netshoot:v0.13", [], cmd)
    assert rt.run_job_pod(pod).exit_code == 0
    client, server = w.store.get("pods", "ns-001", "fortio-client"), w.store.get("pods", "ns-001", "loadservice-a")
    for _ in range(3):
        fetch(rt, client, f"{server['status']['podIP']}:8080/")
    return captured(rt.logs(pod, None))


@pytest.mark.parametrize(("plaintext", "tls_packets", "plain_packets"), [(False, 15, 0), (True, 0, 15)])
def test_the_drivers_capture_filters_see_tls_records_not_plaintext_requests(plaintext: bool, tls_packets: int,
                                                                            plain_packets: int) -> None:
    w = sidecar_world()
    client, server, _ = seed_pods(w)
    facts = IstioSidecarDriver().encryption(MeshInfo("istio-sidecar", "1.30.3", frozenset()))
    ips = client["status"]["podIP"], server["status"]["podIP"]
    rt = runtime(w, "istio-sidecar", plaintext=plaintext)
    assert _capture(w, rt, facts.capture_filter(*ips, "192.168.0.11", 8080), "tls") == tls_packets  # 3 x 5 sent
    assert _capture(w, rt, facts.plaintext_filter(*ips, 8080), "plain") == plain_packets


def test_the_openssl_probe_with_istios_alpn_meets_the_sidecar_and_without_it_is_closed() -> None:
    w = sidecar_world()
    _, server, _ = seed_pods(w)
    rt, target = runtime(w, "istio-sidecar"), f"{server['status']['podIP']}:8080"
    out = rt.run_job_pod(job(w, "tls", "alpine/openssl:3.3.2", [], ["openssl", "s_client", "-connect", target,
                                                                      "-alpn", "istio-peer-exchange,istio"]))
    assert out.exit_code == 0 and "ALPN protocol: istio-peer-exchange\n" in out.log
    assert "    Protocol  : TLSv1.3\n" in out.log and "    Cipher    : TLS_AES_256_GCM_SHA384\n" in out.log
    bare = rt.run_job_pod(job(w, "tls2", "alpine/openssl:3.3.2", [], ["openssl", "s_client", "-connect", target]))
    assert bare.exit_code == 1 and "unexpected eof while reading" in bare.log


def _apply(obj: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSONPatch `add` ops the webhook answers with, applied as the API server would (RFC 6902 4.1)."""
    out = copy.deepcopy(obj)
    for op in ops:
        assert op["op"] == "add"
        *parents, last = op["path"].strip("/").split("/")
        target = out
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = op["value"]
    return out


def test_on_kwok_the_injector_is_a_webhook_answering_with_the_patch_of_what_admit_does() -> None:
    w = sidecar_world()
    ctx = SimContext(load_profile("smoke"), Faults())
    pod = {"apiVersion": "v1", "kind": "Pod",  # as the ReplicaSet controller sends it: generateName, no namespace
           "metadata": {"generateName": "loadservice-7f9-", "labels": {"app": "loadservice"}},
           "spec": {"containers": [{"name": "main", "image": "gcr.io/istio-testing/isotope:0.0.3"}]}}
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
              "request": {"uid": "u1", "operation": "CREATE", "namespace": "ns-001",
                          "resource": {"group": "", "version": "v1", "resource": "pods"}, "object": pod}}
    answer = review_response(review, lambda r, o: MESH.admit(w.store, r, o, ctx))["response"]
    assert (answer["uid"], answer["allowed"], answer["patchType"]) == ("u1", True, "JSONPatch")
    patched = _apply(pod, json.loads(base64.b64decode(answer["patch"])))
    assert names(patched) == ["main", "istio-proxy"] and patched["metadata"]["labels"]["security.istio.io/tlsMode"]
    assert "namespace" not in patched["metadata"]  # only labels, annotations and spec are patched
    elsewhere = {**review, "request": {**review["request"], "namespace": "plain"}}
    assert "patch" not in review_response(elsewhere, lambda r, o: MESH.admit(w.store, r, o, ctx))["response"]
