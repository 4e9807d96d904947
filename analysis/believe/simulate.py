"""Simulated panels, null and power replications, and their summaries.

One *replication* draws a panel (the synthetic generator, or the user's panel with the group
labels permuted between firms), runs every test spec through the engine and keeps, for each
comparison *unit* (spec, scope, year, stratum), the p-value, the adjusted p-values, the observed
direction, the test used and the effect size. Verdicts of every rule are derived from the units
by :func:`unit_verdicts`, which applies the rules of :mod:`analysis.engine.verdicts` to arrays.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd

#: Generator parameters that make SMEs and non-SMEs (or innovators, or SME exporters) differ.
#: Switching them to 0 gives the generator's null; multiplying them scales every effect at once.
EFFECT_KEYS = ("sme", "non_sme", "non_sme_x_doi", "non_sme_x_high", "sme_x_exporter",
               "innovation")
#: Canonical yes/no variables of the synthetic panels (coded 1/0 in the CSV files).
YES_NO = ("mgmt_trained", "strategic_planning", "export_plan", "tqm", "jit", "networking",
          "growth_intention", "innovation")
#: Variables that define a comparison's groups; the permutation null shuffles them between firms.
GROUP_VARIABLES = ("size_group", "internationalized", "innovation")
#: Columns kept for each comparison unit of a replication.
UNIT_KEYS = ["hypothesis", "spec_id", "verdict_role", "scope", "year", "stratum"]
FAMILIES = ("auto", "nonparametric", "parametric")


# --------------------------------------------------------------------------- parameters
def scale_effects(params: dict[str, Any], factor: float) -> dict[str, Any]:
    """Generator parameters with every group effect (:data:`EFFECT_KEYS`) multiplied by ``factor``.

    ``factor = 0`` is the generator's null: no effect of size group, innovation or exporting on
    any outcome (firm size itself still differs, since it defines the groups).

    Examples
    --------
    >>> p = {"seed": 1, "exporting": {"intercept": 1.0, "sme": -1.8},
    ...      "rota": {"sme_x_exporter": 3.0}}
    >>> scale_effects(p, 0.5)["exporting"], scale_effects(p, 0)["rota"]
    ({'intercept': 1.0, 'sme': -0.9}, {'sme_x_exporter': 0.0})
    """
    out = copy.deepcopy(params)
    for name, block in out.items():
        if name in ("design", "employees", "age") or not isinstance(block, dict):
            continue
        for key in EFFECT_KEYS:
            if key in block:
                block[key] = float(block[key]) * float(factor)
    return out


def set_parameter(params: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of ``params`` with ``block.key`` set to ``value`` (several, comma-separated).

    Examples
    --------
    >>> set_parameter({"a": {"x": 1}, "b": {"x": 2}}, "a.x,b.x", 5)
    {'a': {'x': 5}, 'b': {'x': 5}}
    """
    out = copy.deepcopy(params)
    for path in dotted.split(","):
        block, key = path.strip().split(".", 1)
        out[block][key] = value
    return out


def child_seed(*parts: int) -> int:
    """A seed derived from integers (a base seed and indices), the same on every machine.

    Examples
    --------
    >>> child_seed(1, 2) == child_seed(1, 2) != child_seed(1, 3)
    True
    """
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


# --------------------------------------------------------------------------- panels
def derived_panel(raw: pd.DataFrame, *, derive: dict[str, Any],
                  size_def: dict[str, Any]) -> pd.DataFrame:
    """A canonical panel with the derived variables of the validate stage (size group, bands).

    Derived columns already present are recomputed, so a validated panel can be re-derived
    under another size definition, size status or set of band cut-offs.
    """
    from analysis.data.derive import derive_variables

    drop = [c for c in ("size_basis_employees", "size_group", "sme", "internationalized",
                        "doi_band", "firm_age") if c in raw]
    df = raw.drop(columns=drop)
    for c in YES_NO:
        if c in df and not pd.api.types.is_bool_dtype(df[c]):
            df[c] = df[c].astype("Int64").astype("boolean")
    out, _ = derive_variables(df, size_def=size_def, size_status=derive["size_status"],
                              doi_bands=derive["doi_bands"], panel="simulated", path="")
    return out


def synthetic_panel(params: dict[str, Any], *, derive: dict[str, Any],
                    size_def: dict[str, Any]) -> pd.DataFrame:
    """Draw a synthetic panel with ``params`` and derive its variables (marked synthetic).

    The same frame as :func:`derived_panel` of the drawn panel, built with array operations
    (the simulations draw thousands of panels); see :func:`derive_drawn`.
    """
    from analysis.data.synthetic import generate

    raw = generate(params)
    raw["synthetic"] = True
    fast = derive_drawn(raw, derive=derive, size_def=size_def)
    return fast if fast is not None else derived_panel(raw, derive=derive, size_def=size_def)


def derive_drawn(raw: pd.DataFrame, *, derive: dict[str, Any],
                 size_def: dict[str, Any]) -> pd.DataFrame | None:
    """:func:`derived_panel` of a panel as the synthetic generator draws it, with arrays.

    Applies only to a complete draw (sorted by firm and year; no missing employees, years,
    export shares or ROTA; shares between 0 and 100; none of the derived or WBES columns);
    returns None for anything else, and the caller derives the usual way.
    ``tests/test_believe.py`` checks that both give the same frame.
    """
    from analysis.data.derive import SIZE_GROUPS

    need = ("firm_id", "year", "employees", "export_share", "founded", "rota")
    if (any(c not in raw for c in need)
            or any(c in raw for c in ("direct_export_share", "indirect_export_share",
                                      "size_basis_employees", "size_group", "sme",
                                      "internationalized", "doi_band", "firm_age"))
            or derive["size_status"] not in ("first_year", "each_year")):
        return None
    year = raw["year"].to_numpy()
    emp = raw["employees"].to_numpy()
    share = raw["export_share"].to_numpy()
    founded = raw["founded"].to_numpy()
    if not (year.dtype.kind == "i" and emp.dtype.kind == "i" and founded.dtype.kind == "i"
            and share.dtype.kind == "f" and raw["rota"].dtype.kind == "f"):
        return None
    if (np.isnan(share).any() or (share < 0).any() or (share > 100).any()
            or raw["rota"].isna().any()):
        return None
    firm = raw["firm_id"].astype(str).to_numpy(dtype=object)
    new_firm = np.r_[True, firm[1:] != firm[:-1]]
    if len(firm) and not (np.all((year[1:] > year[:-1]) | new_firm[1:])
                          and len(np.unique(firm)) == int(new_firm.sum())):
        return None  # not sorted by firm and year
    if derive["size_status"] == "first_year":
        starts = np.flatnonzero(new_firm)
        basis = emp[starts][np.cumsum(new_firm) - 1]
    else:
        basis = emp
    lo, hi = size_def["min_employees"], size_def["sme_max_employees"]
    is_sme = (basis >= lo) & (basis <= hi)
    keep = is_sme | (basis > hi)
    cuts = [float(c) for c in derive["doi_bands"]["cuts"]]
    labels = list(derive["doi_bands"]["labels"])
    band = np.searchsorted(np.array([0.0, *cuts, 100.0]), share, side="left")
    out = raw if keep.all() else raw.iloc[np.flatnonzero(keep)]
    out = out.reset_index(drop=True)
    for c in YES_NO:
        if c in out and not pd.api.types.is_bool_dtype(out[c]):
            v = out[c].to_numpy()
            if v.dtype.kind in "iu" and np.isin(v, (0, 1)).all():
                out[c] = pd.array(v == 1, dtype="boolean")
            else:
                out[c] = out[c].astype("Int64").astype("boolean")
    out["size_basis_employees"] = pd.array(basis[keep], dtype="Int64")
    out["size_group"] = pd.Categorical(np.where(is_sme[keep], "SME", "non-SME"),
                                       categories=SIZE_GROUPS)
    out["sme"] = pd.array(is_sme[keep], dtype="boolean")
    out["internationalized"] = pd.array(share[keep] > 0, dtype="boolean")
    out["doi_band"] = pd.Categorical.from_codes(band[keep], categories=labels, ordered=True)
    out["firm_age"] = pd.array(year[keep] - founded[keep], dtype="Int64")
    return out


def permute_groups(panel: pd.DataFrame, rng: np.random.Generator,
                   variables: tuple[str, ...] = GROUP_VARIABLES,
                   within: str = "country") -> pd.DataFrame:
    """The panel with each group variable's firm trajectories shuffled between firms.

    Each variable gets its own permutation of the firms within each ``within`` level (and
    among firms observed in the same years), and a firm takes over another firm's values in
    every year, so a firm keeps one group when its group is fixed, the outcomes keep their
    within-firm dependence, and no outcome is related to any group: the null of every
    comparison. ``sme`` follows ``size_group``.

    Examples
    --------
    >>> df = pd.DataFrame({"firm_id": list("aabbcc"), "year": [1, 2] * 3, "country": ["X"] * 6,
    ...                    "size_group": ["SME", "SME", "non-SME", "non-SME", "SME", "SME"]})
    >>> out = permute_groups(df, np.random.default_rng(0), ("size_group",))
    >>> sorted(out["size_group"]) == sorted(df["size_group"])
    True
    >>> int(out.groupby("firm_id")["size_group"].nunique().max())
    1
    """
    df = panel.sort_values(["firm_id", "year"], kind="stable").reset_index(drop=True)
    firm = df["firm_id"].astype(str).to_numpy()
    starts = np.flatnonzero(np.r_[True, firm[1:] != firm[:-1]])
    ends = np.r_[starts[1:], len(df)]
    years = df["year"].astype("int64").to_numpy()
    where = (df[within].astype(str).to_numpy() if within in df
             else np.full(len(df), "", dtype=object))
    keys: dict[tuple[Any, ...], list[int]] = {}
    for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
        keys.setdefault((where[s], tuple(years[s:e])), []).append(i)
    blocks = sorted(keys.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))
    for var in variables:
        if var not in df:
            continue
        source = np.arange(len(starts))
        for _, members in blocks:
            m = np.asarray(members)
            source[m] = m[rng.permutation(m.size)]
        rows = np.concatenate([np.arange(starts[j], ends[j]) for j in source])
        targets = [var, "sme"] if var == "size_group" and "sme" in df else [var]
        for col in targets:
            df[col] = df[col].iloc[rows].to_numpy()
            if isinstance(panel[col].dtype, pd.CategoricalDtype):
                df[col] = pd.Categorical(df[col], dtype=panel[col].dtype)
            else:
                df[col] = df[col].astype(panel[col].dtype)
    return df


def with_family(specs: dict[str, Any], family: str) -> dict[str, Any]:
    """Specs whose ``auto`` tests are replaced by the registry's non-parametric or parametric
    choice (``family``: auto, nonparametric or parametric)."""
    if family == "auto":
        return specs
    from analysis.stats import registry

    test = registry.auto_test(normal=family == "parametric")
    out = copy.deepcopy(specs)
    for h in out["hypotheses"].values():
        for t in h["tests"]:
            if t["test"] == "auto":
                t["test"] = test
    return out


def restrict(specs: dict[str, Any], hypotheses: list[str] | None = None,
             spec_ids: list[str] | None = None) -> dict[str, Any]:
    """Specs with only the given hypotheses and, within them, only the given spec ids."""
    out = copy.deepcopy(specs)
    if hypotheses is not None:
        out["hypotheses"] = {k: v for k, v in out["hypotheses"].items() if k in hypotheses}
    if spec_ids is not None:
        for h in out["hypotheses"].values():
            h["tests"] = [t for t in h["tests"] if t["id"] in spec_ids]
        out["hypotheses"] = {k: v for k, v in out["hypotheses"].items() if v["tests"]}
    return out


def has_auto(specs: dict[str, Any]) -> bool:
    """Whether any spec lets the normality pretest choose its test."""
    return any(t["test"] == "auto" for h in specs["hypotheses"].values() for t in h["tests"])


# --------------------------------------------------------------------------- units
def units(results: pd.DataFrame) -> pd.DataFrame:
    """One row per comparison unit of an engine result: p, adjusted p, direction, test, effect.

    Design-based counterparts (``__svy``) are left out: the simulations judge the unweighted
    decision rule.
    """
    res = results[~results["spec_id"].astype(str).str.contains("__svy", regex=False)]
    key = UNIT_KEYS
    test = res[res["role"] == "test"]
    out = test[key + ["test", "status", "p", "p_holm", "p_bh", "observed_direction",
                      "expected_direction"]].copy()
    eff = res[res["role"] == "effect"][key + ["statistic", "value", "ci_low", "ci_high"]]
    eff = eff.rename(columns={"statistic": "effect_statistic", "value": "effect"})
    out = out.merge(eff.drop_duplicates(key), on=key, how="left")
    out["year"] = out["year"].astype("Int64")
    return out.reset_index(drop=True)


def run_units(panel: pd.DataFrame, specs: dict[str, Any], *, alpha: float = 0.05,
              only: list[str] | None = None) -> pd.DataFrame:
    """``units(run_hypotheses(panel, specs, alpha=alpha))`` without the results frame.

    The comparisons are the engine's (:func:`analysis.engine.comparisons.iter_comparisons`);
    only each one's test row and effect row are kept, and the Holm and Benjamini-Hochberg
    adjustments are applied to the same families as :func:`~analysis.engine.comparisons.adjust_p`
    (Holm within hypothesis, scope and role; BH within scope; estimable tests only). The
    design-based counterparts are not run (:func:`units` leaves them out too). The simulations
    call this thousands of times: it skips building, adjusting and filtering the full results
    frame, which costs as much as the tests themselves.
    """
    from analysis.engine.comparisons import iter_comparisons

    recs: list[tuple[Any, ...]] = []
    for ctx, res in iter_comparisons(panel, specs, alpha=alpha, only=only, survey=False):
        if "__svy" in str(ctx["spec_id"]):
            continue
        test = next(r for r in res["rows"] if r[-1] == "test")
        eff = next((r for r in res["rows"] if r[-1] == "effect"), None)
        recs.append((ctx["hypothesis"], ctx["spec_id"], ctx["verdict_role"], ctx["scope"],
                     ctx["year"], ctx["stratum"], ctx["test"], test[7], test[4],
                     ctx["observed_direction"], ctx["expected_direction"],
                     *((eff[0], eff[2], eff[5], eff[6]) if eff is not None
                       else (np.nan, np.nan, np.nan, np.nan))))
    cols = [*UNIT_KEYS, "test", "status", "p", "observed_direction", "expected_direction",
            "effect_statistic", "effect", "ci_low", "ci_high"]
    if not recs:
        return pd.DataFrame(columns=[*cols[:9], "p_holm", "p_bh", *cols[9:]])
    data = dict(zip(cols, map(list, zip(*recs, strict=True)), strict=True))
    frame = pd.DataFrame({
        **{c: data[c] for c in cols[:8]}, "p": np.asarray(data["p"], dtype=float),
        "p_holm": np.nan, "p_bh": np.nan,
        "observed_direction": data["observed_direction"],
        "expected_direction": data["expected_direction"],
        "effect_statistic": data["effect_statistic"],
        **{c: np.asarray(data[c], dtype=float) for c in ("effect", "ci_low", "ci_high")}})
    frame["year"] = frame["year"].astype("Int64")
    return adjust_units(frame)


def adjust_units(u: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """A unit table with ``p_holm`` and ``p_bh`` (re)computed: Holm within (``by``,
    hypothesis, scope, role), Benjamini-Hochberg within (``by``, scope), over the estimable
    tests; the families of :func:`analysis.engine.comparisons.adjust_p` within each ``by``
    group (e.g. one replication, one specification).

    Examples
    --------
    >>> u = pd.DataFrame({"hypothesis": "H", "verdict_role": "primary", "scope": "year",
    ...                   "status": "ok", "p": [0.01, 0.04, 0.03]})
    >>> adjust_units(u)[["p_holm", "p_bh"]].round(4).to_dict("list")
    {'p_holm': [0.03, 0.06, 0.06], 'p_bh': [0.03, 0.04, 0.04]}
    """
    from analysis.stats.multiplicity import benjamini_hochberg, holm

    by = list(by or [])
    p = u["p"].to_numpy(dtype=float)
    ok = ~np.isnan(p) & (u["status"].astype(str).to_numpy() == "ok")
    out = {}
    for name, method, keys in (("p_holm", holm, [*by, "hypothesis", "scope", "verdict_role"]),
                               ("p_bh", benjamini_hochberg, [*by, "scope"])):
        adjusted = np.full(p.size, np.nan)
        rows = np.flatnonzero(ok)
        if rows.size:
            group = group_codes(u, keys)[rows]
            order = np.argsort(group, kind="stable")
            bounds = np.flatnonzero(np.diff(group[order])) + 1
            for members in np.split(rows[order], bounds):
                adjusted[members] = method(p[members])
        out[name] = adjusted
    return u.assign(**out)


def group_codes(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """The group number of each row over ``keys``, groups numbered in the sorted order of the
    keys (``frame.groupby(keys, sort=True).ngroup()`` without building the groups).

    Examples
    --------
    >>> df = pd.DataFrame({"a": ["y", "x", "y"], "b": [2, 1, 1]})
    >>> group_codes(df, ["a", "b"]).tolist()
    [2, 0, 1]
    """
    code = np.zeros(len(frame), dtype=np.int64)
    for k in keys:
        inv, uniq = pd.factorize(frame[k], sort=True)
        code = code * (len(uniq) + 1) + (inv + 1)
    return np.unique(code, return_inverse=True)[1].reshape(-1)


def unit_verdicts(table: pd.DataFrame, rules: dict[str, Any], alpha: float,
                  by: list[str] | None = None) -> pd.DataFrame:
    """Each hypothesis' verdict under each rule, from a unit table (:func:`units`).

    The rules of :func:`analysis.engine.verdicts.derive_verdicts` on arrays: a (spec, stratum)
    unit is supported under a rule when its estimable rows of the rule's scope meet the rule
    (significant in the expected direction in enough years, the direction in every year, or the
    pooled test significant in the expected direction); a hypothesis is Supported when one of
    its primary units is, Not estimable when none is estimable. ``by`` names further key
    columns (e.g. ``rep``) to keep.

    Returns a frame with ``by`` + hypothesis, rule, verdict.

    Examples
    --------
    >>> u = pd.DataFrame({"hypothesis": "H", "spec_id": "a", "verdict_role": "primary",
    ...                   "scope": "year", "year": [1, 2, 3], "stratum": "", "status": "ok",
    ...                   "p": [0.01, 0.3, 0.2], "observed_direction": "negative",
    ...                   "expected_direction": "negative"})
    >>> rules = {"study": {"min_significant_years": 1},
    ...          "every_year": {"min_significant_years": "all"}}
    >>> unit_verdicts(u, rules, 0.05)["verdict"].tolist()
    ['Supported', 'Not supported']
    """
    by = list(by or [])
    cols = [*by, "hypothesis", "rule", "verdict"]
    keep = np.flatnonzero(_text(table, "verdict_role") == "primary")
    if not keep.size:
        return pd.DataFrame(columns=cols)
    prim = table.iloc[keep] if keep.size < len(table) else table
    hkeys = [*by, "hypothesis"]
    hyp = group_codes(prim, hkeys)
    unit = group_codes(prim, [*hkeys, "spec_id", "stratum"])
    n_units = int(unit.max()) + 1
    n_hyps = int(hyp.max()) + 1
    unit_hyp = np.zeros(n_units, dtype=np.int64)
    unit_hyp[unit] = hyp
    scope = _text(prim, "scope")
    ok = _text(prim, "status") == "ok"
    expected = _text(prim, "expected_direction")
    good = (_text(prim, "observed_direction") == expected) | (expected == "any")
    any_unit = np.zeros(n_units, dtype=bool)
    any_unit[unit] = expected == "any"
    verdicts = np.empty((n_hyps, len(rules)), dtype=object)
    for j, rule in enumerate(rules.values()):
        pooled = rule.get("scope") == "pooled"
        rows = ok & (scope == ("pooled" if pooled else "year"))
        p = prim[rule.get("p", "p")].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            sig = rows & (p < alpha) & good
        n_rows = np.bincount(unit, weights=rows, minlength=n_units)
        n_sig = np.bincount(unit, weights=sig, minlength=n_units)
        n_good = np.bincount(unit, weights=rows & good, minlength=n_units)
        estimable = n_rows > 0
        if pooled:
            sup = n_sig > 0
        else:
            need = rule.get("min_significant_years", 1)
            sup = n_sig == n_rows if need == "all" else n_sig >= int(need)
            if rule.get("direction_every_year", True):
                sup &= (n_good == n_rows) | any_unit
        sup &= estimable
        h_sup = np.bincount(unit_hyp, weights=sup, minlength=n_hyps) > 0
        h_est = np.bincount(unit_hyp, weights=estimable, minlength=n_hyps) > 0
        verdicts[:, j] = np.where(h_sup, "Supported", np.where(h_est, "Not supported",
                                                               "Not estimable"))
    # one row per (group, rule): groups in sorted key order, rules in the given order
    first = np.repeat(np.unique(hyp, return_index=True)[1], len(rules))
    out = {k: prim[k].iloc[first].reset_index(drop=True) for k in hkeys}
    return pd.DataFrame({**out, "rule": np.tile(np.array(list(rules), dtype=object), n_hyps),
                         "verdict": verdicts.reshape(-1)})[cols]


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as an array of Python strings (missing values as "nan")."""
    return frame[column].astype(str).to_numpy(dtype=object)


def replicate(panel: pd.DataFrame, specs: dict[str, Any], *, alpha: float,
              families: tuple[str, ...] = ("auto",)) -> pd.DataFrame:
    """Units of one replication under each test family.

    The configured specs run once (family ``auto``). For each other family only the
    hypotheses with ``auto`` specs are judged, and within them only the ``auto`` specs are
    rerun with the family's test: the other specs of those hypotheses give the same results
    under every family, so their units are taken from the ``auto`` run. The adjusted p-values
    of a family are computed over that family's hypotheses, as if they alone had been run.
    """
    base = run_units(panel, specs, alpha=alpha)
    parts = [base.assign(family="auto")] if "auto" in families else []
    hyps = [h for h, v in specs["hypotheses"].items()
            if any(t["test"] == "auto" for t in v["tests"])]
    autos = [t["id"] for h in hyps for t in specs["hypotheses"][h]["tests"]
             if t["test"] == "auto"]
    order = {sid: i for i, sid in enumerate(
        t["id"] for h in hyps for t in specs["hypotheses"][h]["tests"])}
    for fam in families:
        if fam == "auto" or not hyps:
            continue
        rerun = run_units(panel, with_family(restrict(specs, hyps, autos), fam), alpha=alpha)
        kept = base[base["hypothesis"].isin(hyps) & ~base["spec_id"].isin(autos)]
        u = pd.concat([kept, rerun], ignore_index=True)
        rank = u["spec_id"].map(order).to_numpy()
        u = u.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)
        parts.append(adjust_units(u).assign(family=fam))
    out = pd.concat(parts, ignore_index=True)
    return out[["family", *[c for c in out.columns if c != "family"]]]


# --------------------------------------------------------------------------- Monte Carlo
def mc_interval(k: np.ndarray | int, n: np.ndarray | int,
                z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Wilson interval of a proportion k/n (the Monte-Carlo interval of a simulated rate).

    Examples
    --------
    >>> lo, hi = mc_interval(5, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0215, 0.1118)
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        den = 1 + z * z / n
        mid = (p + z * z / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return mid - half, mid + half


def null_interval(alpha: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The range a test's rejection rate over ``n`` null replications falls in with 95%
    probability when its true size is ``alpha`` (normal approximation to the binomial).

    Examples
    --------
    >>> [round(x, 4) for x in null_interval(0.05, 1000)]
    [0.0365, 0.0635]
    """
    half = z * math.sqrt(alpha * (1 - alpha) / n)
    return alpha - half, alpha + half


def rejection_rates(table: pd.DataFrame, alpha: float, by: list[str]) -> pd.DataFrame:
    """Rejection rate (p < alpha, estimable replications) per group of ``by``, with its
    Monte-Carlo standard error, Wilson interval and the interval expected at size alpha."""
    ok = table[table["status"] == "ok"].copy()
    ok["reject"] = ok["p"].to_numpy(dtype=float) < alpha
    g = ok.groupby(by, sort=True, dropna=False)
    out = g["reject"].agg(["sum", "size"]).reset_index()
    out = out.rename(columns={"sum": "rejections", "size": "replications"})
    rate = out["rejections"] / out["replications"]
    out["rate"] = rate
    out["mc_se"] = np.sqrt(rate * (1 - rate) / out["replications"])
    out["ci_low"], out["ci_high"] = mc_interval(out["rejections"], out["replications"])
    exp = [null_interval(alpha, int(n)) for n in out["replications"]]
    out["expected_low"] = [e[0] for e in exp]
    out["expected_high"] = [e[1] for e in exp]
    out["outside"] = (out["rate"] < out["expected_low"]) | (out["rate"] > out["expected_high"])
    return out


def support_rates(verdicts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Share of replications with verdict Supported per group of ``by``, with its Wilson
    interval."""
    v = verdicts.assign(supported=verdicts["verdict"] == "Supported")
    out = v.groupby(by, sort=True)["supported"].agg(["sum", "size"]).reset_index()
    out = out.rename(columns={"sum": "supported", "size": "replications"})
    out["rate"] = out["supported"] / out["replications"]
    out["mc_se"] = np.sqrt(out["rate"] * (1 - out["rate"]) / out["replications"])
    out["ci_low"], out["ci_high"] = mc_interval(out["supported"], out["replications"])
    return out


def mde(curve: pd.DataFrame, x: str, power: str = "rate", target: float = 0.8) -> float:
    """The smallest ``x`` at which ``power`` reaches ``target``, by linear interpolation between
    grid points of a power curve (NaN when the grid never reaches it).

    Examples
    --------
    >>> mde(pd.DataFrame({"k": [0, 1, 2], "rate": [0.05, 0.6, 0.9]}), "k")
    1.6666666666666667
    """
    c = curve.sort_values(x)
    xs, ps = c[x].to_numpy(dtype=float), c[power].to_numpy(dtype=float)
    above = np.flatnonzero(ps >= target)
    if above.size == 0:
        return float("nan")
    j = int(above[0])
    if j == 0:
        return float(xs[0])
    x0, x1, p0, p1 = xs[j - 1], xs[j], ps[j - 1], ps[j]
    return float(x0 + (target - p0) * (x1 - x0) / (p1 - p0))


# --------------------------------------------------------------------------- two-group checks
def two_group_power(test: str, *, n1: int, n2: int, effect: float, alpha: float,
                    replications: int, seed: int, base_rate: float = 0.5) -> float:
    """Simulated power of one registered two-group test on independent draws.

    ``welch_t`` and ``mann_whitney``: normal outcomes, standardized mean difference ``effect``
    (Cohen's d). ``crosstab``: a yes/no outcome, the two groups' rates
    ``base_rate +- effect/2``. The test is the registry's array core, as in the engine.
    """
    from analysis.stats.registry import Sample, entry

    rng = np.random.default_rng(seed)
    e = entry(test)
    spec = {"test": test, "outcome": "y", "id": "sim", "expected_direction": "any"}
    group = np.r_[np.zeros(n1, np.int8), np.ones(n2, np.int8)]
    hits = 0
    for _ in range(replications):
        if test == "crosstab":
            p = np.r_[np.full(n1, base_rate + effect / 2), np.full(n2, base_rate - effect / 2)]
            y = rng.random(n1 + n2) < p
            codes, values, levels = y.astype(np.int64), y.astype(float), [False, True]
        else:
            y = rng.standard_normal(n1 + n2) + np.r_[np.full(n1, effect), np.zeros(n2)]
            codes, values, levels = np.zeros(n1 + n2, np.int64), y, []
        s = Sample(group=group, labels=["a", "b"], codes=codes, levels=levels, values=values,
                   outcome="y", firm=np.arange(n1 + n2), year=np.zeros(n1 + n2),
                   declared=False)
        comp = e.compare(s, spec, pooled=False, years=[0])
        row = next(r for r in comp.rows if r[0] == comp.decides)
        hits += bool(row[7] == "ok" and row[4] < alpha)
    return hits / replications


def analytic_power(test: str, *, n1: int, n2: int, effect: float, alpha: float,
                   base_rate: float = 0.5) -> float:
    """Analytic power of a two-group test (pingouin), for the cross-check of simulations.

    ``welch_t``: :func:`pingouin.power_ttest2n` at Cohen's d; ``mann_whitney``: the same at
    d times sqrt(3/pi), the asymptotic relative efficiency under normality; ``crosstab``:
    :func:`pingouin.power_chi2` (1 df) at Cohen's w of the two rates.
    """
    import pingouin as pg

    if test == "crosstab":
        p1, p2 = base_rate + effect / 2, base_rate - effect / 2
        pbar = (n1 * p1 + n2 * p2) / (n1 + n2)
        w = abs(p1 - p2) * math.sqrt(n1 * n2) / (n1 + n2) / math.sqrt(pbar * (1 - pbar))
        return float(pg.power_chi2(dof=1, w=w, n=n1 + n2, alpha=alpha))
    d = effect * (math.sqrt(3 / math.pi) if test == "mann_whitney" else 1.0)
    return float(pg.power_ttest2n(nx=n1, ny=n2, d=d, alpha=alpha))
