"""The simulated cluster: a Kubernetes API server on loopback, KWOK-like controllers, simulated images,
and a model of each mesh's data plane and performance.

Layering: sim/ may import model/ and nothing else of the package (never cluster/ or meshes/): it
implements the *upstream* behaviour of each mesh, and the plugin's drivers must earn their passes against it.
"""
