"""Firm-level bootstrap intervals of every effect size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from analysis.believe.simulate import UNIT_KEYS


def resample_firms(panel: pd.DataFrame, rng: np.random.Generator,
                   within: str = "country") -> pd.DataFrame:
    """A bootstrap panel: firms drawn with replacement within each ``within`` level, each drawn
    firm with all its years; a firm drawn twice becomes two firms (ids ``<id>#<k>``), so
    firm-level clustering and firm means treat the copies as distinct firms.

    Examples
    --------
    >>> df = pd.DataFrame({"firm_id": ["a", "a", "b", "b"], "year": [1, 2, 1, 2],
    ...                    "country": ["X"] * 4, "y": [1, 2, 3, 4]})
    >>> out = resample_firms(df, np.random.default_rng(0))
    >>> len(out), out.groupby("firm_id").size().tolist()
    (4, [2, 2])
    """
    firms = panel[["firm_id"] + ([within] if within in panel else [])].drop_duplicates("firm_id")
    firms = firms.sort_values("firm_id", kind="stable")
    groups = (firms.groupby(within, sort=True)["firm_id"] if within in firms
              else [("", firms["firm_id"])])
    picks = []
    for _, ids in groups:
        ids = ids.to_numpy()
        picks.append(ids[rng.integers(0, ids.size, ids.size)])
    drawn = np.concatenate(picks)
    rows = panel.groupby("firm_id", sort=False).indices
    parts, new_ids = [], []
    for k, fid in enumerate(drawn):
        idx = rows[fid]
        parts.append(idx)
        new_ids.append(np.full(idx.size, f"{fid}#{k}", dtype=object))
    out = panel.iloc[np.concatenate(parts)].reset_index(drop=True)
    out["firm_id"] = pd.array(np.concatenate(new_ids), dtype="string")
    return out


def bootstrap_draws(panel: pd.DataFrame, specs: dict[str, Any], *, reps: list[int], seed: int,
                    alpha: float, progress: Callable[[int, int], None] | None = None,
                    ) -> pd.DataFrame:
    """The effect size of every comparison in each bootstrap replication of ``reps``
    (``progress(i, n)`` is called after the i-th of n)."""
    from analysis.believe.simulate import child_seed, run_units

    parts = []
    for i, rep in enumerate(reps):
        boot = resample_firms(panel, np.random.default_rng(child_seed(seed, 5, rep)))
        u = run_units(boot, specs, alpha=alpha)
        u = u[UNIT_KEYS + ["effect_statistic", "effect"]].assign(rep=rep)
        parts.append(u)
        if progress is not None:
            progress(i, len(reps))
    return pd.concat(parts, ignore_index=True)


def bootstrap_intervals(observed: pd.DataFrame, draws: pd.DataFrame,
                        level: float = 0.95) -> pd.DataFrame:
    """Percentile intervals of each comparison's effect size beside its observed value.

    ``observed`` is the unit table of the analysed panel; ``draws`` the bootstrap draws.
    """
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    d = draws[np.isfinite(draws["effect"].to_numpy(dtype=float))]
    agg = (d.groupby(UNIT_KEYS, sort=True, dropna=False)["effect"]
           .agg(boot_low=lambda x: float(np.quantile(x, lo_q)),
                boot_high=lambda x: float(np.quantile(x, hi_q)),
                boot_replications="size").reset_index())
    obs = observed[UNIT_KEYS + ["effect_statistic", "effect"]]
    out = obs.merge(agg, on=UNIT_KEYS, how="left")
    out["level"] = level
    return out
