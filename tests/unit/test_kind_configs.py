"""fixtures/kind/*.yaml: one per mesh, the kind v1alpha4 fields only, nodes = profile `pr`'s pools with
their labels and taints, and Cilium's without kindnet and kube-proxy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_meshscale.data.profiles import load_profile
from pytest_meshscale.provision.installer import MESHES

KIND_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "kind"
# kind.x-k8s.io/v1alpha4 field names (sigs.k8s.io/kind pkg/apis/config/v1alpha4/types.go)
CLUSTER_KEYS = {"kind", "apiVersion", "name", "nodes", "networking", "featureGates", "runtimeConfig",
                "kubeadmConfigPatches", "kubeadmConfigPatchesJSON6902", "containerdConfigPatches",
                "containerdConfigPatchesJSON6902"}
NODE_KEYS = {"role", "image", "labels", "extraMounts", "extraPortMappings", "kubeadmConfigPatches",
             "kubeadmConfigPatchesJSON6902"}
NETWORKING_KEYS = {"ipFamily", "apiServerPort", "apiServerAddress", "podSubnet", "serviceSubnet",
                   "disableDefaultCNI", "kubeProxyMode", "dnsSearch"}


def _config(mesh: str) -> dict[str, Any]:
    return yaml.safe_load((KIND_DIR / f"{mesh}.yaml").read_text())


def _taints(node: dict[str, Any]) -> list[dict[str, str]]:
    patches = [yaml.safe_load(p) for p in node.get("kubeadmConfigPatches", [])]
    assert all(p["kind"] == "JoinConfiguration" for p in patches)  # workers join; Init would be ignored
    return [t for p in patches for t in p["nodeRegistration"].get("taints", [])]


def test_there_is_exactly_one_config_per_mesh() -> None:
    assert sorted(p.stem for p in KIND_DIR.glob("*.yaml")) == sorted(MESHES)


@pytest.mark.parametrize("kind_mesh", MESHES)
def test_config_uses_only_kind_v1alpha4_fields(kind_mesh: str) -> None:
    config = _config(kind_mesh)
    assert (config["kind"], config["apiVersion"]) == ("Cluster", "kind.x-k8s.io/v1alpha4")
    assert set(config) <= CLUSTER_KEYS and set(config.get("networking", {})) <= NETWORKING_KEYS
    assert all(set(node) <= NODE_KEYS for node in config["nodes"])
    assert "image" not in str(config["nodes"])  # the plan passes the pinned image; one place only


@pytest.mark.parametrize("kind_mesh", MESHES)
def test_workers_are_profile_pr_pools_with_their_labels_and_taints(kind_mesh: str) -> None:
    nodes = _config(kind_mesh)["nodes"]
    assert [n["role"] for n in nodes].count("control-plane") == 1
    workers = [n for n in nodes if n["role"] == "worker"]
    expected = [(dict(pool.labels), [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.taints])
                for pool in load_profile("pr").pools for _ in range(pool.count)]
    assert [(w.get("labels", {}), _taints(w)) for w in workers] == expected


def test_the_client_worker_carries_the_seeds_taint_and_label() -> None:
    client = _config("istio-ambient")["nodes"][2]
    assert client["labels"] == {"size": "large"}
    assert _taints(client) == [{"key": "client", "value": "true", "effect": "NoSchedule"}]


def test_only_cilium_drops_kindnet_and_kube_proxy() -> None:
    assert _config("cilium")["networking"] == {"disableDefaultCNI": True, "kubeProxyMode": "none"}
    assert "networking" not in _config("istio-ambient") and "networking" not in _config("baseline")
