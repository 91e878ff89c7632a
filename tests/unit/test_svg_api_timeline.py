"""The API-pressure chart over time: well-formed SVG, one series per mesh in each panel, a line broken (not
bridged) where an interval had no p99, churn ticks, the 1 s SLO only when the scale reaches it, and the marks of
what was simulated or emulated in its title."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pytest_meshscale.meshes import mesh_colour
from pytest_meshscale.model.api_timeline import ApiTimeline, ChurnMark, TimelinePoint
from pytest_meshscale.report import api_pressure_table
from pytest_meshscale.report.svg_api_timeline import NO_HISTOGRAMS, api_timeline_svg
from pytest_meshscale.scenario.api_pressure import PressureResult

SVG = "{http://www.w3.org/2000/svg}"
MARKS = (ChurnMark(0.5, "rescale"), ChurnMark(1.0, "relabel"), ChurnMark(1.5, "rescale", ok=False))


def _result(mesh: str, p99s: list[float | None], kind: str = "kwok", histograms: bool = True) -> PressureResult:
    points = tuple(TimelinePoint(2.0 * (i + 1), 5.0 + i, p) for i, p in enumerate(p99s))
    timeline = ApiTimeline(points, histograms, len(points) + 1, MARKS)
    return PressureResult(mesh, kind, "emulated clients", None, emulated={} if kind != "existing" else None,
                          missing=("latency histograms",) if kind == "sim" else (), timeline=timeline)


def _parse(svg: str | None) -> ET.Element:
    assert svg is not None
    return ET.fromstring(svg)


def test_one_series_per_mesh_per_panel_and_the_churn_ticks():
    root = _parse(api_timeline_svg([_result("cilium", [0.01, 0.02, 0.03]), _result("istio-ambient", [0.02, None])]))
    groups = root.findall(f".//{SVG}g[@class='series']")
    assert [g.get("data-mesh") for g in groups] == ["cilium", "istio-ambient"] * 2  # rate panel, then p99 panel
    assert all(len(g.findall(f"{SVG}polyline")) == 1 for g in groups)
    assert groups[0].find(f"{SVG}polyline").get("stroke") == mesh_colour("cilium")
    ticks = root.findall(f".//{SVG}line[@class='churn-mark']")
    assert len(ticks) == 2 * 2 * len(MARKS)  # both meshes' marks, in both panels
    assert sum(t.get("data-action") == "relabel" for t in ticks) == 4


def test_an_interval_without_p99_breaks_the_line_instead_of_bridging_it():
    root = _parse(api_timeline_svg([_result("cilium", [0.01, None, 0.03, 0.04])]))
    p99_panel = root.findall(f".//{SVG}g[@class='series']")[1]
    assert [len(p.get("points").split()) for p in p99_panel.findall(f"{SVG}polyline")] == [1, 2]


def test_the_slo_line_only_when_the_scale_reaches_it():
    assert _parse(api_timeline_svg([_result("cilium", [0.2, 1.6])])).findall(f".//{SVG}line[@class='slo']")
    fast = _parse(api_timeline_svg([_result("cilium", [0.02, 0.04])]))
    assert not fast.findall(f".//{SVG}line[@class='slo']")
    assert any("above the scale" in (t.text or "") for t in fast.iter(f"{SVG}text"))


def test_the_sim_has_no_p99_line_and_says_so_and_is_simulated():
    root = _parse(api_timeline_svg([_result("cilium", [None, None], kind="sim", histograms=False)]))
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert NO_HISTOGRAMS in texts and "SIMULATED" in root.find(f"{SVG}title").text
    assert not any("SLO" in t for t in texts)  # no p99 scale to place it on
    assert not root.findall(f".//{SVG}g[@class='series']")[1].findall(f"{SVG}polyline")


def test_the_title_says_what_was_real():
    root = _parse(api_timeline_svg([_result("cilium", [0.01])]))
    kwok = root.find(f"{SVG}title").text
    assert any("kube-apiserver and etcd are REAL (kwok)" in (t.text or "") for t in root.iter(f"{SVG}text"))
    assert kwok.endswith("mesh clients EMULATED, data plane SIMULATED")
    assert "SIMULATED" not in _parse(api_timeline_svg([_result("cilium", [0.01], kind="existing")])).find(
        f"{SVG}title").text


def test_attached_next_to_the_table_only_when_there_is_a_timeline(monkeypatch):
    attached: list[dict[str, str]] = []
    monkeypatch.setattr(api_pressure_table, "attach_all", attached.append)
    api_pressure_table.attach_pressure([_result("cilium", [0.01])])
    api_pressure_table.attach_pressure([PressureResult("cilium", "kwok", "", None, "not measured: 403")])
    assert [sorted(a) for a in attached] == [["api-pressure-over-time.svg", "api-pressure.json", "api-pressure.txt"],
                                             ["api-pressure.json", "api-pressure.txt"]]


def test_table_columns_stay_aligned_when_a_cell_is_long():
    """A reason longer than any figure (the sim's "no etcd") must not push the next mesh's column over."""
    long = PressureResult("cilium", "sim", "emulated clients", None, "not measured: " + "x" * 60)
    short = PressureResult("istio-ambient", "sim", "emulated clients", None, "not measured: 403")
    lines = api_pressure_table.pressure_table([long, short]).splitlines()
    header = next(n for n, line in enumerate(lines) if "istio-ambient" in line and "cilium" in line)
    start = lines[header].index("istio-ambient")
    first = lines[header + 1]  # the first row holds each mesh's reason
    assert first.index("x" * 60) < start and first[start - 2:] == "  not measured: 403"


def test_many_broken_slos_are_listed_under_the_table_not_in_its_cell():
    """At full scale on kwok 13 calls broke their SLO: in one cell they pushed the baseline's column 500 characters
    to the right. The cell says how many; the lines under the table name each."""
    from pytest_meshscale.model.api_pressure import ApiCall, ApiPressure, ServerUsage

    calls = tuple(ApiCall("PUT", f"r{i}", "", "resource", 100, 2.0 + i, 1.0) for i in range(3))
    pressure = ApiPressure(120.0, {("PUT", "r0"): 1.0}, calls, 10, ServerUsage(0.5, 1e9), None)
    slow = PressureResult("cilium", "kwok", "emulated", pressure, "")
    quick = (ApiCall("PUT", "r0", "", "resource", 100, 0.2, 1.0),)
    fine = PressureResult("baseline", "kwok", "emulated", ApiPressure(120.0, {("PUT", "r0"): 1.0}, quick, 5,
                                                                       ServerUsage(0.5, 1e9), None), "")
    lines = api_pressure_table.pressure_table([slow, fine]).splitlines()
    held = next(line for line in lines if line.startswith("SLOs held"))
    assert held.split("  ")[-1].strip() == "yes" and "NO: 3 calls (listed below)" in held and len(held) < 90
    assert lines[-3:] == [f"- cilium: PUT r{i} (resource) p99 {2.0 + i:.2f} s > 1 s over 100 calls" for i in range(3)]
