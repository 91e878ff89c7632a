"""The scorecard as JSON (schema meshscale.scorecard/v1): values, ratios and the quoted reference."""

from __future__ import annotations

from typing import Any

from .scorecard import CALIBRATION_NOTE, KERNEL_NOTE, METRICS, PRICE_NOTE, REFERENCE, Scorecard

__all__ = ["SCORECARD_SCHEMA", "scorecard_json"]

SCORECARD_SCHEMA = "meshscale.scorecard/v1"


def scorecard_json(card: Scorecard) -> dict[str, Any]:
    return {
        "schema": SCORECARD_SCHEMA,
        "title": card.title,
        "simulated": card.simulated,
        "scales": list(card.scales),
        "clusters": list(card.clusters),
        "metrics": [
            {"key": m.key, "label": m.label, "unit": m.unit, "higher_is_better": m.higher_is_better} for m in METRICS
        ],
        "cost_notes": {"kernel": KERNEL_NOTE, "price": PRICE_NOTE, "per_mesh": list(card.cost_notes)},
        "best": {m.key: best for m, best in zip(METRICS, card.best, strict=True)},
        "rows": [
            {
                "name": r.name,
                "mesh": r.loaded.score.mesh,
                "mesh_version": r.loaded.score.mesh_version,
                "run_id": r.loaded.score.run_id,
                "simulated": r.loaded.score.simulated,
                "source": str(r.loaded.path),
                "values": {m.key: v for m, v in zip(METRICS, r.values, strict=True)},
                "baseline": r.is_baseline,
                "kernel_note": r.loaded.score.kernel_note,
                "price_note": r.loaded.score.price_note,
                "ratio_to_best": {m.key: q for m, q in zip(METRICS, r.ratios, strict=True)},
                "ratio_to_baseline": {m.key: q for m, q in zip(METRICS, r.vs_baseline, strict=True)},
            }
            for r in card.rows
        ],
        "reference": {
            "label": REFERENCE.label,
            "note": REFERENCE.note,
            "quoted": True,
            "pair": [REFERENCE.numerator, REFERENCE.denominator],
            "ratios": REFERENCE.ratios,
            "this_run": card.measured_ratios,
            "calibration_note": CALIBRATION_NOTE if card.simulated else None,
        },
    }
