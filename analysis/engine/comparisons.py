"""The generic hypothesis engine: runs every declared test spec, year by year and pooled."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from analysis.columns import (
    RESULT_COLUMNS,
    STAT_COLUMNS,
)
from analysis.engine.choice import auto_choice, normality_choice
from analysis.engine.specs import _label, group_labels
from analysis.stats import registry
from analysis.stats._common import _NUMERIC, Row, _na
from analysis.stats.multiplicity import benjamini_hochberg, holm
from analysis.stats.registry import Sample


# --------------------------------------------------------------------------- one comparison
def _pick(rows: list[Row], statistic: str, term: str | None = None) -> int | None:
    for i, r in enumerate(rows):
        if r[0] == statistic and (term is None or r[1] == term):
            return i
    return None


def _firm_means(d: Sample) -> Sample:
    """One case per firm and group: the mean of the firm's non-missing values over the years.

    Means are rounded to 10 decimals, so that firms whose means are equal tie exactly (ranks)
    whatever the order in which their values were summed.
    """
    v = d.values if d.values is not None else np.full(d.group.size, np.nan)
    key = d.firm.astype(np.int64) * 2 + d.group
    uniq, inv = np.unique(key, return_inverse=True)
    ok = ~np.isnan(v)
    total = np.bincount(inv, weights=np.where(ok, v, 0.0), minlength=uniq.size)
    count = np.bincount(inv, weights=ok.astype(float), minlength=uniq.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.round(total / count, 10)
    n = uniq.size
    out = Sample(group=(uniq % 2).astype(np.int8), labels=d.labels,
                 codes=np.where(np.isnan(means), -1, 0), levels=[], values=means,
                 outcome=d.outcome, firm=uniq // 2, year=np.zeros(n), declared=False)
    if d.weight is not None:
        # a firm's design: the mean of its weights over the years, its first stratum and PSU
        w = np.where(np.isfinite(d.weight), d.weight, 0.0)
        has = np.bincount(inv, weights=np.isfinite(d.weight).astype(float), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.weight = np.bincount(inv, weights=w, minlength=n) / has
        first = np.unique(inv, return_index=True)[1]
        out.stratum = None if d.stratum is None else d.stratum[first]
        out.cluster = None if d.cluster is None else d.cluster[first]
        out.single_unit = d.single_unit
        out.outside = d.outside
    return out


def run_comparison(d: Sample, spec: dict[str, Any], *, scope: str, alpha: float,
                   years: Iterable[int] = (), choice: tuple[str, str] | None = None,
                   binary: bool = False, memo: dict[bytes, Any] | None = None,
                   ) -> dict[str, Any]:
    """Run one comparison of a test spec on one subset's :class:`Sample`.

    ``scope`` is ``year`` or ``pooled`` (all years: the entry's pooled test, a firm-clustered
    logit with year dummies, for binary outcomes; firm means for metric ones). ``choice`` =
    (test, reason) fixes the test of an ``auto`` spec (see :func:`auto_choice`); without it an
    ``auto`` spec decides on this subset's normality alone. ``binary`` says the outcome is
    boolean. ``memo`` caches normality tests of identical samples across comparisons.

    Returns a dict with ``rows`` (the test's rows, each with its role appended), ``test``,
    ``test_reason``, ``n_group1``, ``n_group2`` and ``observed_direction``.
    """
    kind = spec["test"]
    labels = d.labels
    why = ""
    if scope == "pooled":
        pooled = registry.entry(kind).pooled_test if kind in registry.REGISTRY else ""
        if binary or pooled:
            kind = pooled or "logit"
            why = "pooled over years: logit with year dummies, standard errors clustered by firm"
        else:
            d = _firm_means(d)
            why = "pooled over years: firm means over the years"
    if kind == "auto" or ("metric" in registry.entry(kind).outcomes
                          and registry.entry(kind).family != "survey"):
        x1, x2, _ = d.split()
        normal, note = normality_choice([x1, x2], labels, alpha, memo=memo)
        if kind == "auto" and choice is not None:
            kind = choice[0]
            here = "normal" if normal else note.removeprefix("not normal: ")
            why = "; ".join(filter(None, [why, choice[1], f"this subset: {here}"]))
        elif kind == "auto":
            kind = registry.auto_test(normal)
            why = "; ".join(filter(None, [why, f"auto: {note} -> {kind}"]))
        else:
            why = "; ".join(filter(None, [why, f"{registry.entry(kind).why} (normality: {note})"]))
    elif not why:
        why = registry.entry(kind).why

    present = d.codes >= 0
    n1, n2 = int((present & (d.group == 0)).sum()), int((present & (d.group == 1)).sum())
    entry = registry.entry(kind)
    comp = entry.compare(d, spec, pooled=scope == "pooled", years=list(years))
    rows = comp.rows
    if comp.note:
        why = "; ".join(filter(None, [why, comp.note]))
    focus = registry.focus_name(labels[0])
    primary = _pick(rows, comp.decides, comp.decides_term or None)
    eff = entry.effect
    effect = next((i for name in (eff.statistic, *eff.fallbacks)
                   if (i := _pick(rows, name, focus if eff.term == "focus" else None))
                   is not None), None)
    di = _pick(rows, entry.direction, focus if entry.direction_term == "focus" else None)
    direction = registry.sign(rows[di][2]) if di is not None and rows[di][7] == "ok" else ""
    out_rows = [(*r, "test" if i == primary else "effect" if i == effect else "detail")
                for i, r in enumerate(rows)]
    if primary is None:
        out_rows.append((*_na("test", reason="no test statistic was produced"), "test"))
    ok = primary is not None and rows[primary][7] == "ok"
    return {"rows": out_rows, "test": kind, "test_reason": why, "n_group1": n1, "n_group2": n2,
            "observed_direction": direction if ok else ""}


# --------------------------------------------------------------------------- engine
def _population_text(pop: dict[str, Any] | None) -> str:
    if not pop:
        return "all firms"
    return "; ".join(f"{k} in {[_label(v) for v in vals]}" for k, vals in pop.items())


def _levels_of(col: pd.Series) -> list[Any]:
    """Levels of a column: the categories of a categorical, else the sorted observed values."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    return sorted(col.dropna().unique().tolist(), key=lambda v: (not _is_num(v), v))


def _is_num(v: Any) -> bool:
    return isinstance(v, bool | int | float | np.bool_ | np.integer | np.floating)


class _Columns:
    """Panel columns as arrays, converted once per panel and shared by every spec."""

    def __init__(self, panel: pd.DataFrame) -> None:
        self.panel = panel
        self.year = panel["year"].to_numpy(dtype=float, na_value=np.nan)
        self.firm = (pd.factorize(panel["firm_id"])[0] if "firm_id" in panel
                     else np.arange(len(panel)))
        self._masks: dict[tuple[str, tuple[Any, ...]], np.ndarray] = {}
        self._outcomes: dict[str, tuple[Any, ...]] = {}
        self._design(panel)

    def _design(self, panel: pd.DataFrame) -> None:
        """The declared survey design: ``weights`` (name -> array: "" for ``_weight``, else the
        alternative ``_weight_<name>``; empty without a design), stratum and PSU labels (nested
        in the panel, else the country, so pooled panels never share a stratum) and the
        rule for single-PSU strata (column ``_single_unit`` or ``panel.attrs["single_unit"]``,
        default certainty)."""
        self.weights: dict[str, np.ndarray] = {}
        self.stratum = self.cluster = None
        self.single_unit = "certainty"
        if "_weight" not in panel or not panel["_weight"].notna().any():
            return
        self.weights[""] = panel["_weight"].to_numpy(dtype=float, na_value=np.nan)
        for c in sorted(c for c in panel.columns if str(c).startswith("_weight_")):
            if panel[c].notna().any():
                self.weights[str(c)[len("_weight_"):]] = panel[c].to_numpy(dtype=float,
                                                                           na_value=np.nan)
        nest = next((c for c in ("panel", "country") if c in panel), None)
        where = (panel[nest].astype(str) + "|" if nest is not None
                 else pd.Series("", index=panel.index))
        if "_stratum" in panel and panel["_stratum"].notna().any():
            self.stratum = (where + panel["_stratum"].astype(str)).to_numpy(dtype=object)
        psu = "f|" + pd.Series(self.firm, index=panel.index).astype(str)
        if "_cluster" in panel:
            psu = psu.where(panel["_cluster"].isna(),
                            "c|" + where + panel["_cluster"].astype(str))
        self.cluster = psu.to_numpy(dtype=object)
        rule = panel.attrs.get("single_unit") if hasattr(panel, "attrs") else None
        if "_single_unit" in panel and panel["_single_unit"].notna().any():
            rule = str(panel["_single_unit"].dropna().iloc[0])
        self.single_unit = str(rule or "certainty")

    def isin(self, var: str, values: Iterable[Any]) -> np.ndarray:
        """Rows whose ``var`` is one of ``values`` (missing never matches)."""
        key = (var, tuple(values))
        if key not in self._masks:
            self._masks[key] = self.panel[var].isin(list(key[1])).to_numpy(
                dtype=bool, na_value=False)
        return self._masks[key]

    def outcome(self, var: str) -> tuple[Any, ...]:
        """(binary, declared, levels, codes, values) of an outcome column."""
        if var not in self._outcomes:
            col = (self.panel[var] if var in self.panel
                   else pd.Series(np.nan, index=self.panel.index))
            binary = pd.api.types.is_bool_dtype(col)
            numeric = binary or pd.api.types.is_numeric_dtype(col)
            values = col.to_numpy(dtype=float, na_value=np.nan) if numeric else None
            if values is not None and not isinstance(col.dtype, pd.CategoricalDtype):
                # numbers and booleans: codes by position among the sorted observed values
                present = ~np.isnan(values)
                found = np.unique(values[present])
                kind = bool if binary else int if pd.api.types.is_integer_dtype(col) else float
                levels = [kind(v) for v in found]
                codes = np.full(len(col), -1, dtype=np.int64)
                codes[present] = np.searchsorted(found, values[present])
            elif levels := _levels_of(col):
                codes = pd.Categorical(col, categories=levels).codes.astype(np.int64)
            else:
                codes = np.full(len(col), -1, dtype=np.int64)
            self._outcomes[var] = (binary, isinstance(col.dtype, pd.CategoricalDtype), levels,
                                   codes, values)
        return self._outcomes[var]


class _SpecData:
    """A spec's variables as arrays over its cases.

    The cases are the panel rows that pass the population filter and belong to one of the two
    groups; every unit (a year or all years, within a stratum) is a boolean mask over them.
    """

    def __init__(self, cols: _Columns, spec: dict[str, Any]) -> None:
        panel = cols.panel
        g = spec["group"]
        var, levels = g["variable"], list(g["levels"])
        self.labels = group_labels(g)
        keep = np.ones(len(panel), dtype=bool)
        for v, allowed in (spec.get("population") or {}).items():
            if v in panel.columns:
                keep &= cols.isin(v, allowed)
        code = np.full(len(panel), -1, dtype=np.int8)
        if var in panel.columns:
            for i, lv in enumerate(levels):
                code[cols.isin(var, [lv])] = i
        idx = np.flatnonzero(keep & (code >= 0))
        self.group = code[idx]
        self.year = cols.year[idx]
        self.firm = cols.firm[idx]
        self.outcome = spec["outcome"]
        self.binary, self.declared, self.levels, codes, values = cols.outcome(self.outcome)
        self.codes = codes[idx]
        self.values = None if values is None else values[idx]
        strata = spec.get("strata")
        self.strata = None
        if strata and strata in panel.columns:
            col = panel[strata]
            self.strata = [(lv, cols.isin(strata, [lv])[idx]) for lv in _levels_of(col)]
        controls = [c for c in spec.get("controls") or [] if c in panel.columns]
        self.extra = panel[controls].iloc[idx].reset_index(drop=True) if controls else None
        self.idx, self.cols = idx, cols
        self.weights = {k: w[idx] for k, w in cols.weights.items()}
        self.stratum = None if cols.stratum is None else cols.stratum[idx]
        self.cluster = None if cols.cluster is None else cols.cluster[idx]
        self.single_unit = cols.single_unit

    def sample(self, mask: np.ndarray, weight: str | None = None) -> Sample:
        """The :class:`Sample` of the cases in ``mask``; with ``weight`` (a key of
        ``weights``) it carries the survey design with that weight."""
        idx = np.flatnonzero(mask)
        extra = self.extra.iloc[idx].reset_index(drop=True) if self.extra is not None else None
        out = Sample(group=self.group[idx], labels=self.labels, codes=self.codes[idx],
                     levels=self.levels, declared=self.declared,
                     values=None if self.values is None else self.values[idx],
                     outcome=self.outcome, firm=self.firm[idx], year=self.year[idx],
                     extra=extra)
        if weight is not None:
            out.weight = self.weights[weight][idx]
            out.stratum = None if self.stratum is None else self.stratum[idx]
            out.cluster = None if self.cluster is None else self.cluster[idx]
            out.single_unit = self.single_unit
            # domain estimation: the survey's other weighted rows of the same years stay in
            # the design (zero contributions), whatever group or population they belong to
            cols = self.cols
            others = np.isfinite(cols.weights[weight]) & np.isin(cols.year,
                                                                 np.unique(out.year))
            others[self.idx[idx]] = False
            assert cols.cluster is not None
            out.outside = (None if cols.stratum is None else cols.stratum[others],
                           cols.cluster[others])
        return out


def iter_comparisons(panel: pd.DataFrame, specs: dict[str, Any], *, sample: str = "all",
                     alpha: float = 0.05, only: Iterable[str] | None = None,
                     survey: bool = True) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Run every comparison of every test spec; yield ``(context, result)`` per comparison.

    ``context`` holds the context columns of the results schema (and the counts, directions and
    ``synthetic``); ``result`` is :func:`run_comparison`'s dict (``rows`` with their roles).
    Comparisons come in the order of :func:`run_hypotheses`' rows. With ``survey`` False the
    design-based counterparts of a panel with survey weights are not run.
    """
    scopes = specs.get("scopes", ["year", "pooled"])
    years = sorted(int(y) for y in panel["year"].dropna().unique())
    synthetic = bool(panel["synthetic"].any()) if "synthetic" in panel else False
    absent: dict[str, bool] = {}  # column -> entirely missing (checked once, when used)

    def missing(v: str) -> bool:
        if v not in absent:
            absent[v] = v not in panel.columns or bool(panel[v].isna().all())
        return absent[v]

    cols = _Columns(panel)
    memo: dict[bytes, tuple[dict[str, Any], dict[str, Any]]] = {}
    for hyp, h in specs["hypotheses"].items():
        if only is not None and hyp not in only:
            continue
        for spec in h["tests"]:
            d = _SpecData(cols, spec)
            g, labels = spec["group"], d.labels
            pop = spec.get("population") or {}
            pop_missing = [v for v in pop if v not in panel.columns]
            strata_var = spec.get("strata")
            unavailable = next((v for v in (spec["outcome"], g["variable"]) if missing(v)), "")
            every = np.ones(d.group.size, dtype=bool)
            year_masks = {y: d.year == y for y in years}
            units: list[tuple[str, Any, np.ndarray]] = []
            for scope in scopes:
                if scope == "year":
                    units += [("year", y, year_masks[y]) for y in years]
                elif scope == "pooled":
                    units.append(("pooled", pd.NA, every))
            strata: list[tuple[Any, np.ndarray]] = d.strata or [("", every)]
            choices: dict[str, tuple[str, str]] = {}
            if spec["test"] == "auto" and not pop_missing and not unavailable:
                for lv, smask in strata:
                    by_year = {y: d.sample(m & smask).split()[:2] for y, m in year_masks.items()}
                    choices[str(lv)] = auto_choice(by_year, labels, alpha, memo=memo)
            for scope, year, umask in units:
                for level, smask in strata:
                    res = _unit(d, spec, scope=scope, mask=umask & smask, alpha=alpha,
                                years=years, choice=choices.get(str(level)), memo=memo,
                                pop_missing=pop_missing, unavailable=unavailable,
                                strata_missing=bool(strata_var) and d.strata is None)
                    ctx = {
                        "sample": sample, "hypothesis": hyp, "spec_id": spec["id"],
                        "verdict_role": spec.get("verdict", "primary"), "scope": scope,
                        "year": year, "stratum_var": strata_var or "", "stratum": str(level),
                        "outcome": spec["outcome"], "group_var": g["variable"],
                        "group1": labels[0], "group2": labels[1],
                        "population": _population_text(pop), "test": res["test"],
                        "test_reason": res["test_reason"],
                        "n_total": res["n_group1"] + res["n_group2"],
                        "n_group1": res["n_group1"], "n_group2": res["n_group2"],
                        "expected_direction": spec.get("expected_direction", "any"),
                        "observed_direction": res["observed_direction"],
                        "synthetic": synthetic,
                    }
                    yield ctx, res
                    counterpart = survey_counterpart(res["test"], spec["test"]) if survey else ""
                    for wname in d.weights if counterpart else ():
                        svy = {**spec, "test": counterpart,
                               "id": survey_spec_id(spec["id"], wname)}
                        res2 = _unit(d, svy, scope=scope, mask=umask & smask, alpha=alpha,
                                     years=years, choice=None, memo=memo,
                                     pop_missing=pop_missing, unavailable=unavailable,
                                     strata_missing=bool(strata_var) and d.strata is None,
                                     weight=wname)
                        weight_col = f"_weight_{wname}" if wname else "_weight"
                        res2["test_reason"] = res2["test_reason"].replace(
                            "logit with year dummies, standard errors clustered by firm",
                            "survey-weighted logit with year dummies, linearized standard "
                            "errors (PSUs: the declared clusters, else the firms)").replace(
                            "firm means over the years",
                            "firm means over the years, each firm with its mean weight")
                        ctx2 = ctx | {
                            "spec_id": svy["id"], "verdict_role": "secondary",
                            "test": res2["test"],
                            "test_reason": "; ".join(filter(None, [
                                res2["test_reason"],
                                f"survey design: weight {weight_col}"
                                + (" (weight sensitivity)" if wname else "")])),
                            "n_total": res2["n_group1"] + res2["n_group2"],
                            "n_group1": res2["n_group1"], "n_group2": res2["n_group2"],
                            "observed_direction": res2["observed_direction"],
                        }
                        yield ctx2, res2


def run_hypotheses(panel: pd.DataFrame, specs: dict[str, Any], *, sample: str = "all",
                   alpha: float = 0.05, only: Iterable[str] | None = None) -> pd.DataFrame:
    """Run every test spec of every hypothesis on a panel.

    Parameters
    ----------
    panel : DataFrame
        A validated, derived panel (results/panels/*.parquet or results/pooled/panel.parquet).
    specs : dict
        Parsed config/hypotheses.yaml.
    sample : str
        Name of the sample ("all" for the pooled countries, else the panel name).
    alpha : float
        Significance level (normality decisions).
    only : iterable of str, optional
        Run only these hypotheses.

    Returns
    -------
    DataFrame
        The long results schema (:data:`RESULT_COLUMNS`), sorted deterministically, with
        Holm-adjusted p within (sample, hypothesis, scope) and Benjamini-Hochberg-adjusted p
        within (sample, scope) on the ``test`` rows.
    """
    rows: list[tuple[Any, ...]] = []
    contexts: list[dict[str, Any]] = []
    owner: list[int] = []
    for ctx, res in iter_comparisons(panel, specs, sample=sample, alpha=alpha, only=only):
        owner += [len(contexts)] * len(res["rows"])
        rows += res["rows"]
        contexts.append(ctx)
    if not rows:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    cols = list(zip(*rows, strict=True))
    out = pd.DataFrame({name: np.array(col, dtype=float) if name in _NUMERIC
                        else np.array(col, dtype=object)
                        for name, col in zip([*STAT_COLUMNS, "role"], cols, strict=True)})
    context = pd.DataFrame(contexts).iloc[owner].reset_index(drop=True)
    out = pd.concat([out, context], axis=1)
    out["year"] = out["year"].astype("Int64")
    out = adjust_p(out)
    return out[RESULT_COLUMNS].reset_index(drop=True)


#: Suffix of the spec id of a design-based counterpart (``H1_chi__svy``; with an alternative
#: weight ``H1_chi__svy_wstrict``).
SURVEY_SUFFIX = "__svy"


def survey_spec_id(spec_id: str, weight: str = "") -> str:
    """The spec id of a spec's design-based counterpart with the weight ``weight`` ("" for the
    main weight ``_weight``, else the alternative ``_weight_<weight>``)."""
    return f"{spec_id}{SURVEY_SUFFIX}" + (f"_{weight}" if weight else "")


def survey_counterpart(*tests: str) -> str:
    """The registered design-based counterpart of the first of ``tests`` that has one (an
    ``auto`` spec: the counterpart of its metric tests); "" for none."""
    for t in tests:
        if t == "auto":
            t = registry.auto_test(False)
        e = registry.REGISTRY.get(t)
        if e is not None and e.survey_counterpart:
            return e.survey_counterpart
    return ""


def _unit(d: _SpecData, spec: dict[str, Any], *, scope: str, mask: np.ndarray, alpha: float,
          years: list[int], choice: tuple[str, str] | None, pop_missing: list[str],
          unavailable: str, strata_missing: bool, memo: dict[bytes, Any] | None = None,
          weight: str | None = None) -> dict[str, Any]:
    """One comparison, or the reason it cannot be run (``weight``: with the survey design)."""
    kind = spec["test"]
    decides = registry.entry(kind).decides if kind in registry.REGISTRY else "test"
    why = ""
    if pop_missing:
        decides, why = "test", (f"population variable {pop_missing[0]!r} is not available in "
                                "this panel")
    elif strata_missing:
        decides, why = "test", (f"stratum variable {spec['strata']!r} is not available in this "
                                "panel")
    elif unavailable:
        why = f"variable {unavailable!r} is not available in this panel"
    else:
        if weight is None and d.weights and kind in registry.REGISTRY and \
                registry.entry(kind).family == "survey":
            weight = ""  # a design-based test configured directly: the main weight
        sample = d.sample(mask, weight)
        if sample.group.size == 0:
            why = (f"no cases of either group ({', '.join(map(repr, d.labels))}) in this "
                   "subset")
        elif not (sample.codes >= 0).any():
            why = f"variable {spec['outcome']!r} has no observed values in this subset"
        else:
            return run_comparison(sample, spec, scope=scope, alpha=alpha, years=years,
                                  choice=choice, binary=d.binary, memo=memo)
    return {"rows": [(*_na(decides, reason=why), "test")], "test": kind, "test_reason": "",
            "n_group1": 0, "n_group2": 0, "observed_direction": ""}


def adjust_p(results: pd.DataFrame) -> pd.DataFrame:
    """Holm within (sample, hypothesis, scope, verdict_role) and BH within (sample, scope).

    Only ``test`` rows that are estimable are adjusted. Secondary specs form their own Holm
    family, so a secondary test (e.g. H1's logit beside its crosstab) does not inflate the
    primary tests' adjusted p. The design-based counterparts (spec ids ending ``__svy``) form
    families of their own, one per weight (``__svy_<weight>``), in both adjustments: they
    re-test the unweighted hypotheses and never change the unweighted tests' adjusted p.
    """
    out = results.copy()
    design_key = "_design"
    if "spec_id" in out:
        ids = out["spec_id"].astype(str)
        out[design_key] = np.where(ids.str.contains(SURVEY_SUFFIX, regex=False),
                                   ids.str.replace(r"^.*?(__svy\w*)$", r"\1", regex=True), "")
    else:
        out[design_key] = ""
    p = out["p"].to_numpy(dtype=float)
    test = np.flatnonzero((out["role"] == "test").to_numpy() & ~np.isnan(p)
                          & (out["status"] == "ok").to_numpy())
    holm_keys = ["sample", "hypothesis", "scope"] + (
        ["verdict_role"] if "verdict_role" in out else []) + [design_key]
    for keys, method, column in ((holm_keys, holm, "p_holm"),
                                 (["sample", "scope", design_key], benjamini_hochberg,
                                  "p_bh")):
        adjusted = np.full(len(out), np.nan)
        families: dict[tuple[Any, ...], list[int]] = {}
        for i, key in zip(test, zip(*(out[k].to_numpy()[test] for k in keys), strict=True),
                          strict=True):
            families.setdefault(key, []).append(int(i))
        for members in families.values():
            adjusted[members] = method(p[members])
        out[column] = adjusted
    return out.drop(columns=design_key)
