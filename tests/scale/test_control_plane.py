"""Idle mesh cost, and the control plane under churn: every Deployment recovers, API errors stay in budget."""

import pytest

from pytest_meshscale.progress import waiting
from pytest_meshscale.scenario.churn import ChurnRunner
from pytest_meshscale.scenario.scale_run import idle_window_s


def test_idle_mesh_cost_is_measured(scale_slot, mesh, mesh_metrics, fleet, scale_policy, meshscale_settings):
    if not mesh_metrics.components:
        pytest.skip(f"{mesh.name} has no mesh components: its cost is zero by definition")
    window = mesh_metrics.window(idle_window_s(meshscale_settings.profile))
    required = {c.name for c in mesh_metrics.components if not c.optional}
    silent = [name for name, reading in window.components.items() if reading.pods == 0 and name in required]
    assert not silent, f"no pods report usage for mesh components {silent} (selectors wrong, or not running)"
    assert window.cores > 0 and window.memory_bytes > 0, f"idle usage reads as zero: {window.components}"


def test_control_plane_recovers_after_churn(scale_slot, cluster, fleet, meshscale_settings):
    profile = meshscale_settings.profile
    churn_s = max(3 * profile.churn.rescale_interval_s, 2 * profile.churn.relabel_interval_s)
    with ChurnRunner(cluster, fleet.namespaces, profile.churn) as churn:
        waiting(f"churn on {cluster.name}", churn_s)  # churn runs on its own threads meanwhile
    events = churn.log.events
    failed = [e for e in events if not e.ok]
    budget = profile.thresholds.max_api_error_rate or 0.0
    assert events, "churn made no change"
    assert len(failed) <= budget * len(events), f"{len(failed)}/{len(events)} churn calls failed: {failed[:3]}"
    cluster.wait_deployments_available(fleet.namespaces, profile.creation.ready_timeout_s)
