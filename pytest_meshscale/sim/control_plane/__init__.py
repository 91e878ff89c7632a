"""A real Kubernetes control plane (apiserver, controller-manager, scheduler, etcd, kwok) from pinned Go modules."""
