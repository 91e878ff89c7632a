"""Getting a cluster and a mesh ready: pytest-free Settings, cluster providers (sim, kind, existing),
the existing-cluster preflight, mesh install around a cluster, the dry run, and the one tool lookup."""
