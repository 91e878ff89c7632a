"""Charts and per-test attachments: well-formed SVG/HTML, SIMULATED in titles, data actually plotted."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from pytest_meshscale.model import Observation, Verdict
from pytest_meshscale.model.fortio import merge_results, parse_result, result_document
from pytest_meshscale.model.histogram import Histogram
from pytest_meshscale.model.policy import Endpoint, Request
from pytest_meshscale.model.policy_matrix import Matrix
from pytest_meshscale.report.attachments import (
    churn_log_attachments,
    latency_attachments,
    manifest_attachments,
    merged_latency,
    policy_attachments,
    usage_attachments,
)
from pytest_meshscale.report.html_policy import PolicyCell, policy_cells
from pytest_meshscale.report.score_source import load_scores
from pytest_meshscale.report.scorecard import build_scorecard
from pytest_meshscale.report.svg_common import nice_ticks
from pytest_meshscale.report.svg_scorecard import relative_score, scorecard_svg

SVG = "{http://www.w3.org/2000/svg}"
SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "upstream" / "fortio-samples"
HISTOGRAM = {
    "Count": 100,
    "Data": [
        {"Start": 0.001, "End": 0.002, "Count": 60},
        {"Start": 0.002, "End": 0.005, "Count": 39},
        {"Start": 0.05, "End": 0.05, "Count": 1},
    ],
    "Percentiles": [
        {"Percentile": 50, "Value": 0.0017},
        {"Percentile": 99, "Value": 0.0049},
        {"Percentile": 99.9, "Value": 0.05},
    ],
}


def _svg(body: str) -> ET.Element:
    return ET.fromstring(body)


def _title(root: ET.Element) -> str:
    return root.findtext(f"{SVG}title", "")


@pytest.mark.parametrize("simulated", [True, False])
def test_latency_charts_plot_every_bucket_and_percentile(simulated: bool):
    bodies = latency_attachments(HISTOGRAM, "cilium", simulated, per_client={"ns-001": {"ActualQPS": 10}})
    hist, pct = _svg(bodies["latency-histogram.svg"]), _svg(bodies["latency-percentiles.svg"])
    bars = [r for r in hist.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 3
    assert "60.00%" in bars[0].findtext(f"{SVG}title", "")
    assert len(list(pct.iter(f"{SVG}circle"))) == 3
    assert ("SIMULATED" in _title(hist)) is simulated
    assert ("SIMULATED" in _title(pct)) is simulated
    assert json.loads(bodies["fortio-ns-001.json"]) == {"ActualQPS": 10}


def test_latency_chart_reads_real_fortio_json():
    sample = SAMPLES / "fortio-istio-tools-1.2.0-qps1000-c1-both.json"
    if not sample.is_file():
        pytest.skip(f"upstream fortio samples not found at {SAMPLES} (../shared is absent)")
    histogram = json.loads(sample.read_text())["DurationHistogram"]
    hist = _svg(latency_attachments(histogram, "istio-ambient", False)["latency-histogram.svg"])
    assert len([r for r in hist.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]) == len(histogram["Data"])


def test_usage_chart_has_a_line_per_component_in_both_panels():
    samples = {
        "ztunnel": [(0.0, 0.1, 5e7), (10.0, 0.9, 6e7)],
        "istiod": [(0.0, 0.05, 8e7), (10.0, 0.05, 8e7)],
    }
    root = _svg(usage_attachments(samples, "istio-ambient", True, [("load", 5, 10)])["mesh-cpu-memory.svg"])
    lines = [p.findtext(f"{SVG}title") for p in root.iter(f"{SVG}path") if p.find(f"{SVG}title") is not None]
    assert sorted(lines) == ["istiod", "istiod", "ztunnel", "ztunnel"]
    assert "SIMULATED" in _title(root)


def test_policy_matrix_highlights_differences_and_how_denied():
    cells = [
        PolicyCell("client-a", "svc-b", "GET /public", "allow", "allow", "HTTP 200"),
        PolicyCell("client-a", "svc-b", "POST /admin", "deny: http 403", "deny: connection reset", "reset by peer"),
        PolicyCell("client-c", "svc-b", "tcp/8080", "deny: timeout", "deny: timeout"),
    ]
    html = policy_attachments(cells, "cilium", False)["policy-matrix.html"]
    assert "2 of 3 probes as expected; 1 differ" in html
    assert html.count("class='bad'") == 2  # the grid cell and the detail row
    assert "expected deny: http 403" in html
    assert "reset by peer" in html
    assert "SIMULATED" not in html
    assert "SIMULATED" in policy_attachments(cells, "cilium", True)["policy-matrix.html"]


def test_churn_log_and_manifests():
    events = [
        {"t_s": 1.0, "action": "scale", "target": "ns-001/svc", "replicas": 97},
        {"t_s": 60.0, "action": "relabel", "target": "ns-002", "label": "group=2"},
    ]
    csv = churn_log_attachments(events)["churn-log.csv"].splitlines()
    assert csv[0] == "t_s,action,target,replicas,label"
    assert csv[2] == "60.0,relabel,ns-002,,group=2"
    sim = churn_log_attachments([{"at_s": 0.5004015969971078, "ok": True}], simulated=True)["churn-log.csv"]
    assert sim.splitlines() == ["cluster,at_s,ok", "SIMULATED,0.5,True"]
    docs = manifest_attachments(
        {"cilium-policies": [{"kind": "CiliumNetworkPolicy"}, {"kind": "Gateway"}], "values.yaml": "a: 1\n"}
    )
    assert [d["kind"] for d in yaml.safe_load_all(docs["cilium-policies.yaml"])] == [
        "CiliumNetworkPolicy",
        "Gateway",
    ]
    assert docs["values.yaml"] == "a: 1\n"


def test_scorecard_chart_is_higher_is_better():
    card = build_scorecard(load_scores([Path(__file__).parent / "golden" / "scores"]))
    rows = {r.name: r for r in card.rows}
    assert relative_score(card, rows["cilium"], "cores_load") == 1.0  # fewest cores = tallest bar
    assert relative_score(card, rows["istio-ambient"], "cores_load") == pytest.approx(2.62 / 3.4)
    assert relative_score(card, rows["baseline"], "cores_load") is None  # zero mesh cores: not plotted
    root = _svg(scorecard_svg(card))
    assert "SIMULATED" in _title(root)
    assert len([r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]) == 2 * 5 + 2


@pytest.mark.parametrize(("low", "high", "expected"), [(0, 0.6, [0, 0.2, 0.4, 0.6]), (0, 7, [0, 2, 4, 6, 8])])
def test_nice_ticks(low: float, high: float, expected: list[float]):
    assert nice_ticks(low, high, 4) == pytest.approx(expected)


def test_policy_cells_from_the_model_matrix():
    client, server = Endpoint("ns-001", "fortio-client"), Endpoint("ns-001", "loadservice")
    requests = (Request(client, server, 8080, "GET", "/"), Request(client, server, 8080, "POST", "/admin"))
    matrix = Matrix(requests, (Verdict.ALLOW, Verdict.DENY_L7))
    cells = policy_cells(matrix, {str(requests[1]): Observation(Verdict.DENY_L4, "connection reset")})
    assert [(c.expected, c.actual, c.detail) for c in cells] == [
        ("allow", "not probed", ""),
        ("deny-l7", "deny-l4", "connection reset"),
    ]
    assert cells[1].destination == "ns-001/loadservice:8080"
    assert cells[1].request == "POST /admin"


def test_merged_latency_is_fortio_shaped():
    docs = [
        result_document(
            Histogram.from_samples([0.001 * k for k in range(1, 50)], 0.0001),
            {"200": 49},
            1_000_000_000,
            start_time="2026-11-27T00:00:00Z",
        )
        for _ in range(2)
    ]
    merged = merge_results([parse_result(d, f"c{i}") for i, d in enumerate(docs)], [50, 99])
    fortio = merged_latency(merged)
    assert sum(b["Count"] for b in fortio["Data"]) == 98
    assert [p["Percentile"] for p in fortio["Percentiles"]] == [float(k) for k in merged.percentiles]
    svg = latency_attachments(fortio, "cilium", True)["latency-percentiles.svg"]
    assert len(list(_svg(svg).iter(f"{SVG}circle"))) == len(merged.percentiles)
