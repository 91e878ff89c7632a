"""What a run does on a ready cluster: workloads, fleet, load, probes, policies, churn, metrics,
encryption evidence, the scorecard run and cross-mesh parity. Talks to the cluster only through
`cluster.base.Cluster` and to a mesh only through its driver (`meshes`)."""
