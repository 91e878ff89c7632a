"""Job images: the tcpdump wire capture and the openssl TLS probe, against each mesh's encryption."""

from __future__ import annotations

from typing import Any

from test_sim_dataplane_wire import pods
from test_sim_dataplane_world import AMBIENT, World, seed_world
from test_sim_images_fortio import fetch, runtime

from pytest_meshscale.sim.images import SimRuntime


def job(w: World, name: str, image: str, args: list[str], command: list[str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "probe", "image": image, "args": args}
    if command:
        container["command"] = command
    return w.add(
        "pods",
        {
            "metadata": {"name": name, "namespace": "ns-001"},
            "spec": {"nodeName": "client-1", "containers": [container]},
        },
    )


def capture(rt: SimRuntime, w: World, flt: str, name: str = "cap", traffic: int = 3) -> str:
    cmd = ["sh", "-c", f"timeout 5 tcpdump -n -i any -c 50 '{flt}'; true"]  # as pytest_meshscale/encryption.py
    pod = job(w, name, "nicolaka/netshoot:v0.13", [], cmd)
    assert rt.run_job_pod(pod).exit_code == 0
    client, a, _ = pods(w)
    ip = a["status"]["podIP"]
    for _ in range(traffic):
        fetch(rt, client, f"{ip}:8080/")
    return rt.logs(pod, None)


def captured(log: str) -> int:
    return int(log.strip().splitlines()[-3].split()[0])


def flt(w: World, port: int) -> str:
    client, a, _ = pods(w)
    return f"src host {client['status']['podIP']} and dst host {a['status']['podIP']} and tcp port {port}"


def test_ambient_hides_the_app_port_and_shows_hbone() -> None:
    w, _, _ = seed_world(AMBIENT)
    rt = runtime(w, "istio-ambient")
    log = capture(rt, w, flt(w, 8080))
    assert captured(log) == 0 and log.startswith("tcpdump: verbose output suppressed")
    assert captured(capture(rt, w, flt(w, 15008), "cap2")) == 15  # 3 requests x 5 forward packets


def test_plaintext_fault_shows_the_app_port() -> None:
    w, _, _ = seed_world(AMBIENT)
    log = capture(runtime(w, "istio-ambient", plaintext=True), w, flt(w, 8080))
    assert captured(log) == 15 and "HTTP: GET / HTTP/1.1" in log


def test_capture_count_limit_and_timeout_window() -> None:
    w, _, _ = seed_world()
    rt = runtime(w, "baseline")
    pod = job(w, "cap", "nicolaka/netshoot", ["tcpdump", "-n", "-c", "4", "tcp port 8080"])
    rt.run_job_pod(pod)
    client, a, _ = pods(w)
    for _ in range(3):
        fetch(rt, client, f"{a['status']['podIP']}:8080/")
    assert captured(rt.logs(pod, None)) == 4


def test_wireguard_shows_udp_51871_between_nodes_until_a_key_is_missing() -> None:
    w, _, _ = seed_world()
    rt = runtime(w, "cilium")
    assert captured(capture(rt, w, "udp port 51871")) == 30  # both directions
    assert captured(capture(rt, w, flt(w, 8080), "cap2")) == 0
    w.store.mutate("ciliumnodes.cilium.io", None, "server-1", lambda o: o["metadata"]["annotations"].clear())
    assert captured(capture(runtime(w, "cilium", wg_peer_missing=True), w, flt(w, 8080), "cap3")) == 15


def test_unknown_filter_is_a_syntax_error() -> None:
    w, _, _ = seed_world()
    rt = runtime(w)
    pod = job(w, "cap", "nicolaka/netshoot", ["tcpdump", "-n", "host 1.2.3.4 or port 80"])
    assert rt.run_job_pod(pod).exit_code == 1
    assert rt.logs(pod, None).startswith("tcpdump: syntax error")


def tls(w: World, rt: SimRuntime, port: int = 15008, *extra: str, name: str = "tls") -> tuple[int, str]:
    _, a, _ = pods(w)
    cmd = ["openssl", "s_client", "-connect", f"{a['status']['podIP']}:{port}", *extra]
    pod = job(w, name, "alpine/openssl:3.3.2", [], cmd)
    out = rt.run_job_pod(pod)
    assert rt.logs(pod, None) == out.log  # the API server serves pod logs from runtime.logs()
    return out.exit_code, out.log


def test_tls_probe_reads_ztunnel_tls13_by_default() -> None:
    w, _, _ = seed_world(AMBIENT)
    code, log = tls(w, runtime(w, "istio-ambient"))
    assert code == 0 and "    Protocol  : TLSv1.3\n" in log and "    Cipher    : TLS_AES_256_GCM_SHA384\n" in log
    code, log = tls(w, runtime(w, "istio-ambient"), 15008, "-tls1_2", name="tls2")
    assert code == 1 and "alert protocol version" in log


def test_tls_probe_plaintext_port_and_no_hbone_listener() -> None:
    w, _, _ = seed_world(AMBIENT)
    code, log = tls(w, runtime(w, "istio-ambient"), 8080)
    assert code == 1 and "wrong version number" in log and "Cipher is (NONE)" in log
    code, log = tls(w, runtime(w, "cilium"), name="tls2")
    assert code == 1 and "Connection refused" in log


def test_tls_probe_in_netshoot_uses_the_same_handler() -> None:
    w, _, _ = seed_world(AMBIENT)
    _, a, _ = pods(w)
    pod = job(
        w,
        "tls",
        "nicolaka/netshoot",
        [f"openssl s_client -connect {a['status']['podIP']}:15008 </dev/null"],
        ["sh", "-c"],
    )
    assert "Protocol  : TLSv1.3" in runtime(w, "istio-ambient").run_job_pod(pod).log
