"""Pinned versions of the local Kubernetes control plane: the single source of truth.

The wrapper go.mod files under gomod/ must agree (tests/unit/test_control_plane_build.py checks);
change a pin here, then regenerate them with `python -m pytest_meshscale.sim.control_plane.gen_replaces`.
"""

# Kubernetes is consumed as a Go module, which upstream calls unsupported: pin exactly.
K8S_VERSION = "v1.37.2"
# Kubernetes 1.X.Y ships its staging modules (k8s.io/api, client-go, ...) as v0.X.Y.
STAGING_VERSION = "v0.37.2"
# v1.37.2's go.mod requires etcd v3.7.0 modules, so a v3.6 server needs its own wrapper module.
ETCD_VERSION = "v3.6.17"
# kwok v0.8.0 requires k8s.io v0.36.x and builds in its own wrapper module against those.
KWOK_VERSION = "v0.8.0"
# The oldest Go that builds all three (each of their go.mod files says `go 1.26.0`).
GO_MIN = "1.26"

# Wrapper module directory (under gomod/) -> {binary name: main package}.
MODULES: dict[str, dict[str, str]] = {
    "kubernetes": {
        "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
        "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
        "kube-scheduler": "k8s.io/kubernetes/cmd/kube-scheduler",
    },
    "etcd": {"etcd": "go.etcd.io/etcd/server/v3"},
    "kwok": {"kwok": "sigs.k8s.io/kwok/cmd/kwok"},
}
BINARIES: tuple[str, ...] = tuple(name for mod in MODULES.values() for name in mod)


def staging_for(k8s_version: str) -> str:
    """v1.37.2 -> v0.37.2 (the staging modules are tagged with the major dropped to 0)."""
    return "v0." + k8s_version.removeprefix("v").split(".", 1)[1]


def cache_key() -> str:
    return f"k8s-{K8S_VERSION}_etcd-{ETCD_VERSION}_kwok-{KWOK_VERSION}"
