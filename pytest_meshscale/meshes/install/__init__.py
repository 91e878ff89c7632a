"""The vocabulary of mesh install plans (steps, Helm releases, rollouts) and the pinned versions; each
mesh's folder builds its own steps from it, and provision/installer composes and runs them."""
