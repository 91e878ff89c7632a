"""The seed's scorecard: churn running, one synchronized load on every client, mesh cost over the same
window; QPS, merged-histogram percentiles, error rate, cores, memory and queries per core are checked
against the profile's thresholds, every violation in one message."""

from dataclasses import asdict

from pytest_meshscale.model import check_thresholds, format_violations
from pytest_meshscale.report import attach_churn_log, attach_latency, attach_usage
from pytest_meshscale.report.attachments import merged_latency
from pytest_meshscale.scenario.scale_run import run_scorecard


def _usage_series(window):
    series = {}
    for at, readings in window.samples:
        for name, reading in readings.items():
            series.setdefault(name, []).append((at, reading.cores, reading.memory_bytes))
    return series


def test_scorecard_within_thresholds(scale_slot, cluster, mesh, fleet, scale_policy, meshscale_settings, meshscale_run):
    profile = meshscale_settings.profile
    run = run_scorecard(cluster, mesh.driver, mesh.info, fleet, profile, meshscale_run.run_id)
    meshscale_run.record_score(run.score)
    attach_latency(merged_latency(run.load.merged), mesh.name, mesh.simulated, per_client=run.load.raw)
    attach_churn_log([asdict(e) for e in run.churn.events], simulated=mesh.simulated)
    if run.loaded is not None:
        attach_usage(_usage_series(run.loaded), mesh.name, mesh.simulated)
    assert run.score.requests > 0, "the load made no request"
    assert run.churn.count("rescale") > 0, "churn did not rescale anything during the load"
    violations = check_thresholds(run.score, profile.thresholds)
    assert not violations, format_violations(violations)
