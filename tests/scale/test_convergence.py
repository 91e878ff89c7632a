"""Policy propagation time and scale-up convergence time, measured with pytest-benchmark (pedantic, a few
rounds). pytest-benchmark turns itself off under xdist and then runs the function once, untimed: there these
still check that one round converges, and say that nothing was timed."""

import pytest

from pytest_meshscale.scenario.workloads import SERVER

ROUNDS = 3


@pytest.fixture
def timed(benchmark) -> bool:
    """False where pytest-benchmark is off (under xdist, or --benchmark-disable): it then runs one untimed round."""
    if not benchmark.enabled:
        print("meshscale: pytest-benchmark is disabled (it disables itself under xdist): one round checked, not "
              "timed (run without -n to measure convergence)")
    return bool(benchmark.enabled)


@pytest.mark.mesh_requires("l4-policy")
def test_policy_propagation_time(timed, benchmark, policy, probe, meshscale_settings):
    """Time from applying the seed's per-namespace policy to the whole probe matrix matching it."""
    case = policy.load("l4-namespace")
    limit = meshscale_settings.profile.thresholds.max_policy_propagation_s or 30.0
    rounds = []

    def apply_and_converge():
        policy.apply(case)
        _, result = probe.matrix(case, deadline_s=limit)
        rounds.append(result)

    benchmark.pedantic(apply_and_converge, setup=policy.applied.remove, rounds=ROUNDS, iterations=1)
    assert len(rounds) == (ROUNDS if timed else 1), rounds
    unmatched = [r for r in rounds if r.elapsed_s >= limit]
    assert not unmatched, f"policy did not converge within {limit} s in {len(unmatched)}/{len(rounds)} rounds"
    benchmark.extra_info["probe_rounds"] = [r.rounds for r in rounds]


def test_scale_up_convergence_time(timed, benchmark, cluster, fleet, meshscale_settings):
    """Time for one service to go from its profile size to the top of the churn range, all pods ready."""
    profile = meshscale_settings.profile
    ns = fleet.namespaces[0]

    def reset():
        cluster.scale("Deployment", SERVER, ns, profile.workload.pods_per_service)
        cluster.wait_deployments_available([ns], profile.creation.ready_timeout_s)

    def scale_up():
        cluster.scale("Deployment", SERVER, ns, profile.churn.replicas_max)
        cluster.wait_deployments_available([ns], profile.creation.ready_timeout_s)

    benchmark.pedantic(scale_up, setup=reset, rounds=ROUNDS, iterations=1)
    reset()
