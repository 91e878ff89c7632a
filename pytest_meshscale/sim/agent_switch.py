"""Whether the embedded sim serves its pods with the data-plane agent (sim/embedded_agent.py) or in-process: a
module of its own so that the plugin can check the setting at start-up without importing the agent."""

from __future__ import annotations

import os

__all__ = ["AGENT_ENV", "agent_default", "agent_on"]

AGENT_ENV = "MESHSCALE_SIM_AGENT"

ON, OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def agent_default() -> bool:
    """Whether `meshscale sim up` runs the agent when neither --agent nor --no-agent is given: yes, unless
    MESHSCALE_SIM_AGENT turns it off (the in-process data plane, kept for comparison; the whole suite passes
    with either). ValueError names an unknown value."""
    value = os.environ.get(AGENT_ENV, "").strip().lower()
    if value in ("", *ON):
        return True
    if value in OFF:
        return False
    raise ValueError(f"{AGENT_ENV}={value!r} is not understood; accepted: {', '.join(ON)} (the default) or "
                     f"{', '.join(OFF)}")


def agent_on(flag: bool | None) -> bool:
    """--agent / --no-agent when given, else the environment's default."""
    return agent_default() if flag is None else flag
