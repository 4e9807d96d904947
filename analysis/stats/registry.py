"""The test registry: one entry per test the engine can run, holding all the rest of the code
needs to know about it.

An entry (:class:`TestEntry`) names the test's function (one of :mod:`analysis.stats`), how the
engine calls it on a two-group comparison (``compare``), the row whose p decides significance,
the row whose sign gives the direction, its effect size (scale and no-effect value), what a
forest plot draws, the SPSS tables that render it, and the sentences the methods section and the
"why this test" column print. The engine (:mod:`analysis.engine.comparisons`), the tables
(:mod:`analysis.render.spss`, :mod:`analysis.render.journal`), the figures and the report read
the registry; nothing else special-cases a test by name.

Adding a test is one function plus one entry (:func:`register`). An entry missing one of its
parts, or naming a row its function never returns, fails when the registry is built (at import),
never silently in a figure: :func:`check_entry` lists every missing part.

Examples
--------
>>> from analysis.stats.registry import REGISTRY, entry
>>> sorted(REGISTRY)
['crosstab', 'logit', 'mann_whitney', 'svy_crosstab', 'svy_logit', 'svy_rank', 'welch_t']
>>> entry("mann_whitney").effect.statistic, entry("mann_whitney").effect.null
('r', 0.0)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "REGISTRY",
    "Comparison",
    "Effect",
    "RegistryError",
    "TableSpec",
    "TestEntry",
    "check_entry",
    "entry",
    "register",
]

SCALES = ("linear", "log")
#: ``auto`` specs run the entry whose ``auto_when`` matches the normality pretests.
AUTO_WHEN = ("", "normal", "not normal")
#: The numeric fields of a statistic row a declarative table column can show.
TABLE_FIELDS = ("value", "df", "p", "ci_low", "ci_high")


class RegistryError(TypeError):
    """A test registered without one of its parts."""


@dataclass(frozen=True)
class Effect:
    """An effect size as tables and forest plots show it.

    ``statistic`` is the row name in the test's tidy frame, ``term`` its term (``"focus"`` for
    the group term of a model), ``label`` the short name printed beside the number, ``scale``
    ``"linear"`` or ``"log"`` (odds ratios), ``null`` the value of no effect (0 or 1), and
    ``axis`` the forest-plot axis title. ``fallbacks`` are rows used in order when the first is
    absent (Cramér's V beside phi for tables larger than 2x2; the Haldane odds ratio).
    """

    statistic: str
    label: str
    scale: str
    null: float
    axis: str
    term: str = ""
    fallbacks: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    """A declarative SPSS-style table: one row per comparison, one column per statistic.

    ``columns`` are ``(statistic, field, header)`` triples: the number in column ``field``
    (``value``, ``df``, ``p``, ``ci_low``, ``ci_high``) of the row ``statistic`` of each
    comparison. A new test needs no table code: its entry lists TableSpecs, and
    :mod:`analysis.render.spss` renders them (one panel per spec and stratum, one row per year
    and the pooled scope). ``builder`` names a hand-made layout instead (crosstab cells,
    Variables in the Equation, ...), looked up in :data:`analysis.render.spss.BUILDERS`; the
    table it builds is named ``{hypothesis}_{stem}``. ``note`` is printed below a declarative
    table.
    """

    stem: str
    title: str
    columns: tuple[tuple[str, str, str], ...] = ()
    builder: str = ""
    note: str = ""


@dataclass
class Sample:
    """One comparison's cases as arrays, the input of every ``compare`` adapter.

    ``group`` is 0 for the first label and 1 for the second. The outcome is given twice:
    ``codes`` index ``levels`` (-1 = missing; the observed levels in sorted order, or the
    categories of a categorical outcome, then ``declared``), and ``values`` are its numbers
    (NaN = missing; booleans as 0/1; None for a non-numeric outcome). ``firm`` holds firm codes,
    ``year`` the years, and ``extra`` a frame of the spec's control variables (None without
    controls). A sample from a panel with a declared survey design also carries ``weight``
    (NaN = no weight), ``stratum`` and ``cluster`` (labels; None when not declared) and
    ``single_unit`` (the rule for strata with one PSU), and ``outside``: the (stratum, PSU)
    labels of the survey's other weighted cases of the same years (other groups, other
    populations), kept in the design with zero contributions (domain estimation); the
    unweighted tests ignore them.
    """

    group: np.ndarray
    labels: list[str]
    codes: np.ndarray
    levels: list[Any]
    values: np.ndarray | None
    outcome: str
    firm: np.ndarray
    year: np.ndarray
    declared: bool = False
    extra: pd.DataFrame | None = None
    weight: np.ndarray | None = None
    stratum: np.ndarray | None = None
    cluster: np.ndarray | None = None
    single_unit: str = "certainty"
    outside: tuple[np.ndarray | None, np.ndarray] | None = None

    def split(self) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """The non-missing values of each group, and each group's number of cases."""
        v = self.values if self.values is not None else np.full(self.group.size, np.nan)
        ok = ~np.isnan(v)
        g0, g1 = self.group == 0, self.group == 1
        return v[ok & g0], v[ok & g1], [int(g0.sum()), int(g1.sum())]


@dataclass
class Comparison:
    """What a test's ``compare`` adapter returns to the engine for one comparison."""

    rows: list[Any]
    decides: str
    decides_term: str = ""
    note: str = ""


@dataclass(frozen=True)
class TestEntry:
    """Everything the engine, tables, figures and report need to know about one test.

    ``name`` (the ``test:`` of a spec), ``label`` and ``family`` (its module); ``function``
    (the tidy-frame function of :mod:`analysis.stats`) and ``compare`` (the engine's adapter:
    a :class:`Sample` and the spec in, a :class:`Comparison` out); ``decides`` (the row whose p
    decides significance; an adapter may name another, e.g. Fisher's exact test), ``direction``
    (the row whose sign is the observed direction, of the group-1 term when ``direction_term``
    is ``"focus"``) and ``direction_meaning``; ``effect`` (the effect-size row of summaries)
    and ``forest`` (what forest plots draw); ``statistic_label`` and ``labels`` (printed names
    of its rows); ``tables`` (its SPSS-style tables); ``methods`` (its sentence in the methods
    section) and ``why`` (the "why this test" text of a configured test); ``outcomes`` (binary,
    categorical, metric); ``pooled_test`` (the test that runs the pooled scope instead, "" for
    the same test on firm means); ``auto_when`` ("normal" or "not normal": the test an
    ``auto`` spec runs after the normality pretests); ``survey_counterpart`` (the design-based
    test the engine runs beside this one when the panel declares a survey design, "" for
    none; the counterpart must be registered and take the same outcomes).
    """

    __test__ = False  # a registry entry, not a pytest test class

    name: str
    label: str
    family: str
    function: Callable[..., pd.DataFrame]
    compare: Callable[..., Comparison]
    decides: str
    direction: str
    direction_meaning: str
    effect: Effect
    forest: Effect
    statistic_label: str
    tables: tuple[TableSpec, ...]
    methods: str
    why: str
    outcomes: tuple[str, ...]
    pooled_test: str = ""
    auto_when: str = ""
    direction_term: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    survey_counterpart: str = ""

    def label_of(self, statistic: str) -> str:
        """The printed name of one of the test's statistics.

        ``labels`` first, then the label of the deciding row (``statistic_label``), of the
        effect and of the forest-plot effect; the statistic's own name when none names it.

        Examples
        --------
        >>> from analysis.stats.registry import entry
        >>> entry("welch_t").label_of("hedges_g"), entry("crosstab").label_of("fisher_exact")
        ('Hedges g', "Fisher's exact")
        """
        if statistic in self.labels:
            return self.labels[statistic]
        named = ((self.decides, self.statistic_label), (self.effect.statistic, self.effect.label),
                 (self.forest.statistic, self.forest.label))
        return next((label for stat, label in named if stat == statistic), statistic)


REQUIRED_TEXT = ("name", "label", "family", "decides", "direction", "direction_meaning",
                 "statistic_label", "methods", "why")


def check_entry(e: TestEntry) -> list[str]:
    """Every part an entry lacks, as sentences (empty when complete)."""
    problems = [f"`{k}` is empty" for k in REQUIRED_TEXT if not str(getattr(e, k, "")).strip()]
    for k in ("function", "compare"):
        if not callable(getattr(e, k, None)):
            problems.append(f"`{k}` is not a function")
    doc = getattr(e.function, "__doc__", "") or ""
    if callable(e.function) and ">>>" not in doc:
        problems.append(f"function {getattr(e.function, '__name__', e.function)!r} has no "
                        "docstring example (doctest)")
    for k in ("effect", "forest"):
        eff = getattr(e, k, None)
        if not isinstance(eff, Effect):
            problems.append(f"`{k}` is not an Effect")
            continue
        if not eff.statistic or not eff.label or not eff.axis:
            problems.append(f"`{k}` needs statistic, label and axis")
        if eff.scale not in SCALES:
            problems.append(f"`{k}.scale` is {eff.scale!r}, not one of {SCALES}")
        if eff.scale == "log" and eff.null != 1.0:
            problems.append(f"`{k}`: a log-scale effect has no-effect value 1, not {eff.null}")
        if eff.scale == "linear" and eff.null != 0.0:
            problems.append(f"`{k}`: a linear effect has no-effect value 0, not {eff.null}")
        for name in eff.fallbacks:
            if name not in (getattr(e, "labels", None) or {}):
                problems.append(f"`{k}` fallback {name!r} has no printed name in `labels`")
    if not e.tables:
        problems.append("`tables` is empty: a test needs at least one table that renders it")
    for t in e.tables:
        if not isinstance(t, TableSpec) or not t.stem or not t.title:
            problems.append(f"table {t!r} needs a stem and a title")
        elif bool(t.columns) == bool(t.builder):
            problems.append(f"table {t.stem!r} needs either columns or a builder (not both)")
        else:
            for col in t.columns:
                if (not isinstance(col, tuple) or len(col) != 3
                        or not all(isinstance(c, str) and c for c in col)):
                    problems.append(f"table {t.stem!r}: column {col!r} is not a "
                                    "(statistic, field, header) triple")
                elif col[1] not in TABLE_FIELDS:
                    problems.append(f"table {t.stem!r}: column field {col[1]!r} is not one of "
                                    f"{TABLE_FIELDS}")
    if not e.outcomes or set(e.outcomes) - {"binary", "categorical", "metric"}:
        problems.append("`outcomes` must list binary, categorical and/or metric")
    if e.auto_when not in AUTO_WHEN:
        problems.append(f"`auto_when` is {e.auto_when!r}, not one of {AUTO_WHEN}")
    if e.auto_when and "metric" not in e.outcomes:
        problems.append("`auto_when` is for tests of metric outcomes")
    if e.name and not re.fullmatch(r"[a-z][a-z0-9_]*", e.name):
        problems.append(f"name {e.name!r} must be lower_snake_case")
    counterpart = getattr(e, "survey_counterpart", "")
    if counterpart:
        other = REGISTRY.get(counterpart)
        if counterpart == e.name:
            problems.append("`survey_counterpart` names the test itself")
        elif other is None:
            if _BUILT:  # while the registry is built, _build checks every counterpart last
                problems.append(f"`survey_counterpart` {counterpart!r} is not registered")
        elif not set(e.outcomes) <= set(other.outcomes):
            problems.append(f"`survey_counterpart` {counterpart!r} does not take the outcomes "
                            f"{list(e.outcomes)}")
    return problems


REGISTRY: dict[str, TestEntry] = {}
_BUILT = False


def register(e: TestEntry) -> TestEntry:
    """Add an entry; raise :class:`RegistryError` naming every missing part."""
    problems = check_entry(e)
    if e.name in REGISTRY:
        problems.append(f"a test named {e.name!r} is already registered")
    taken = [n for n, o in REGISTRY.items() if e.auto_when and o.auto_when == e.auto_when]
    if taken:
        problems.append(f"`auto_when` {e.auto_when!r} is already the role of {taken[0]!r}")
    if problems:
        raise RegistryError(f"test {e.name or '?'!r} cannot be registered: "
                            + "; ".join(problems))
    REGISTRY[e.name] = e
    return e


def auto_test(normal: bool) -> str:
    """The test an ``auto`` spec runs: the entry for normal, or for non-normal, outcomes."""
    want = "normal" if normal else "not normal"
    for name, e in REGISTRY.items():
        if e.auto_when == want:
            return name
    raise RegistryError(f"no registered test has auto_when = {want!r}")


def entry(name: str) -> TestEntry:
    """The entry of a test; a clear error with a did-you-mean for an unknown name."""
    try:
        return REGISTRY[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(REGISTRY), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise KeyError(f"no test named {name!r}{hint}; registered tests: "
                       f"{', '.join(sorted(REGISTRY))}") from None


# --------------------------------------------------------------------------- adapters
# A ``compare`` adapter receives one comparison's :class:`Sample` and the spec, calls the test's
# array-level core and says which row decides. It builds no DataFrame.


def _compare_crosstab(d: Sample, spec: Mapping[str, Any], **_: Any) -> Comparison:
    from analysis.stats.contingency import crosstab_rows

    valid = d.codes >= 0
    n_levels = len(d.levels)
    counts = np.bincount(d.group[valid] * n_levels + d.codes[valid],
                         minlength=2 * n_levels).reshape(2, n_levels)
    keep = np.ones(n_levels, bool) if d.declared else counts.sum(axis=0) > 0
    c_levels = [lv for lv, k in zip(d.levels, keep, strict=True) if k]
    positive = spec.get("positive", True)
    if d.declared and positive not in c_levels:
        raise ValueError(f"positive={positive!r} is not a level of {d.outcome!r}: {c_levels!r}")
    rows = crosstab_rows(counts[:, keep], d.labels, c_levels, n_missing=int((~valid).sum()),
                         row="_group", col=d.outcome, positive=positive,
                         exact=bool(spec.get("exact", False)))
    stat = {r[0]: r for r in rows}
    small, fisher = stat.get("cells_expected_lt5"), stat.get("fisher_exact")
    if (small is not None and small[2] > 0 and fisher is not None and fisher[7] == "ok"
            and spec.get("small_expected", "fisher") == "fisher"):
        return Comparison(rows, "fisher_exact",
                          note=f"{int(small[2])} cell(s) with expected count < 5: "
                               "Fisher's exact test decides")
    return Comparison(rows, "pearson_chi2")


def _compare_mann_whitney(d: Sample, spec: Mapping[str, Any], **_: Any) -> Comparison:
    from analysis.stats.nonparametric import mann_whitney_rows

    x1, x2, had = d.split()
    rows = mann_whitney_rows(x1, x2, d.labels, dv=d.outcome, had=had,
                             n_missing=sum(had) - x1.size - x2.size)
    return Comparison(rows, "z")


def _compare_welch(d: Sample, spec: Mapping[str, Any], **_: Any) -> Comparison:
    from analysis.stats.parametric import welch_t_rows

    x1, x2, had = d.split()
    return Comparison(welch_t_rows(x1, x2, d.labels, n_missing=sum(had) - x1.size - x2.size),
                      "t")


def focus_name(label: str) -> str:
    """The model term of the first group (``is_SME``) in a logit."""
    return "is_" + re.sub(r"[^0-9A-Za-z]+", "_", label).strip("_")


def _logit_design(d: Sample, spec: Mapping[str, Any], *, pooled: bool = False,
                  years: list[int] | None = None, require: np.ndarray | None = None,
                  ) -> tuple[np.ndarray, np.ndarray, list[str], dict[str, str], list[str], str,
                             np.ndarray]:
    """The logit's design of a comparison: (y, x, terms, labels, problems, note, valid).

    ``y`` and ``x`` hold the ``valid`` cases (outcome, controls and ``require`` present); the
    group-1 term first, controls, year dummies when pooled over several years, constant last.
    """
    from analysis.stats.regression import _design

    focus = focus_name(d.labels[0])
    if d.values is None:
        raise ValueError(f"outcome {d.outcome!r} must be boolean or coded 0/1")
    positive = spec.get("positive", True)
    is_bool = all(isinstance(v, bool | np.bool_) for v in d.levels)
    y = (d.values == float(positive)).astype(float) if is_bool else d.values.copy()
    y[np.isnan(d.values)] = np.nan
    bad = set(np.unique(y[~np.isnan(y)]).tolist()) - {0.0, 1.0}
    if bad:
        raise ValueError(f"outcome {d.outcome!r} must be boolean or coded 0/1; found "
                         f"{sorted(bad)[0]!r}")
    columns = [(d.group == 0).astype(float)]
    terms, labels, problems, note = [focus], {focus: f"{focus} = 1"}, [], ""
    valid = ~np.isnan(y)
    if require is not None:
        valid &= require
    controls = [c for c in spec.get("controls", []) if d.extra is not None and c in d.extra]
    if controls:
        extra = d.extra
        categorical = {c: r for c, r in (spec.get("categorical") or {}).items()}
        dropped = [c for c in controls if extra[c].nunique(dropna=True) < 2]
        if dropped:
            note = f"controls dropped (constant in this subset): {dropped}"
            controls = [c for c in controls if c not in dropped]
            categorical = {c: r for c, r in categorical.items() if c not in dropped}
        valid &= extra[controls].notna().all(axis=1).to_numpy()
        if controls:
            xc, tc, lc, problems = _design(extra.loc[valid], controls, categorical)
            columns = [columns[0][valid], *xc[:, :-1].T]
            terms += tc[:-1]
            labels.update(lc)
    if not controls:
        columns = [columns[0][valid]]
    year = d.year[valid]
    if pooled and len(years or []) > 1:
        ref = str(sorted(years)[0])
        observed = sorted({str(int(v)) for v in year})
        if ref not in observed:
            problems.append(f"reference level {ref!r} of 'year_' has no observations in this "
                            "subset")
        for lv in observed:
            if lv != ref:
                columns.append((year == int(lv)).astype(float))
                terms.append(f"year_[{lv}]")
                labels[f"year_[{lv}]"] = f"year_ = {lv}"
    x = np.column_stack([*columns, np.ones(int(valid.sum()))])
    terms.append("constant")
    return y[valid], x, terms, labels, problems, note, valid


def _compare_logit(d: Sample, spec: Mapping[str, Any], *, pooled: bool = False,
                   years: list[int] | None = None, **_: Any) -> Comparison:
    from analysis.stats.regression import logistic_rows

    y, x, terms, labels, problems, note, valid = _logit_design(d, spec, pooled=pooled,
                                                               years=years)
    codes = np.unique(d.firm[valid], return_inverse=True)[1].reshape(-1) if pooled else None
    rows = logistic_rows(y, x, terms, labels=labels, problems=problems, outcome="_y",
                         n_missing=int((~valid).sum()), cluster="firm_id" if pooled else None,
                         cluster_codes=codes)
    return Comparison(rows, "wald", decides_term=focus_name(d.labels[0]), note=note)


# ---- design-based (survey) counterparts: the cases with a design weight, PSUs = the declared
# clusters, else the firms (each firm once per year; all its years in one PSU when pooled).
def _weighted(d: Sample) -> np.ndarray:
    """Cases with a design weight."""
    if d.weight is None:
        return np.zeros(d.group.size, dtype=bool)
    return np.isfinite(d.weight)


def _design_of(d: Sample, valid: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    assert d.weight is not None
    stratum = None if d.stratum is None else d.stratum[valid]
    psu = d.cluster[valid] if d.cluster is not None else d.firm[valid]
    return d.weight[valid], stratum, psu


def _outside(d: Sample, valid: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The design's cases not analysed: the sample's weighted cases left out (missing values)
    and the survey's cases outside the comparison (:attr:`Sample.outside`)."""
    left = ~valid & _weighted(d)
    stratum = None if d.stratum is None else d.stratum[left]
    psu = (d.cluster if d.cluster is not None else d.firm)[left]
    if d.outside is None:
        return stratum, psu
    o_st, o_psu = d.outside
    if stratum is None and o_st is None:
        return None, np.concatenate([psu.astype(object), np.asarray(o_psu, dtype=object)])
    def labels(st: np.ndarray | None, k: int) -> np.ndarray:
        return np.full(k, "", dtype=object) if st is None else np.asarray(st, dtype=object)
    return (np.concatenate([labels(stratum, psu.size), labels(o_st, len(o_psu))]),
            np.concatenate([psu.astype(object), np.asarray(o_psu, dtype=object)]))


def _unweighted_note(d: Sample, present: np.ndarray) -> str:
    left = int((present & ~_weighted(d)).sum())
    return f"{left} case(s) without a design weight left out" if left else ""


def _compare_svy_crosstab(d: Sample, spec: Mapping[str, Any], **_: Any) -> Comparison:
    from analysis.stats.survey import svy_crosstab_rows

    present = d.codes >= 0
    valid = present & _weighted(d)
    w, stratum, psu = _design_of(d, valid)
    positive = spec.get("positive", True if all(isinstance(v, bool | np.bool_)
                                                for v in d.levels) else None)
    rows = svy_crosstab_rows(d.group[valid], d.codes[valid], d.labels, d.levels, w, stratum,
                             psu, positive=positive, lonely=d.single_unit,
                             n_missing=int((~valid).sum()), outside=_outside(d, valid))
    return Comparison(rows, "rao_scott_f", note=_unweighted_note(d, present))


def _compare_svy_logit(d: Sample, spec: Mapping[str, Any], *, pooled: bool = False,
                       years: list[int] | None = None, **_: Any) -> Comparison:
    from analysis.stats.survey import svy_logit_rows

    y, x, terms, _labels, problems, note, valid = _logit_design(
        d, spec, pooled=pooled, years=years, require=_weighted(d))
    w, stratum, psu = _design_of(d, valid)
    rows = svy_logit_rows(y, x, terms, w, stratum, psu, lonely=d.single_unit,
                          n_missing=int((~valid).sum()), problems=problems,
                          outside=_outside(d, valid))
    present = ~np.isnan(d.values) if d.values is not None else np.zeros(d.group.size, bool)
    return Comparison(rows, "wald", decides_term=focus_name(d.labels[0]),
                      note="; ".join(filter(None, [note, _unweighted_note(d, present)])))


def _compare_svy_rank(d: Sample, spec: Mapping[str, Any], **_: Any) -> Comparison:
    from analysis.stats.survey import svy_rank_rows

    v = d.values if d.values is not None else np.full(d.group.size, np.nan)
    present = ~np.isnan(v)
    valid = present & _weighted(d)
    w, stratum, psu = _design_of(d, valid)
    rows = svy_rank_rows(v[valid], d.group[valid], d.labels, w, stratum, psu,
                         lonely=d.single_unit, n_missing=int((~valid).sum()),
                         outside=_outside(d, valid))
    return Comparison(rows, "t", note=_unweighted_note(d, present))


# --------------------------------------------------------------------------- entries
def _build() -> None:
    global _BUILT
    from analysis.stats.contingency import crosstab
    from analysis.stats.nonparametric import mann_whitney
    from analysis.stats.parametric import welch_t
    from analysis.stats.regression import logistic_regression

    odds = Effect("odds_ratio", "OR", "log", 1.0,
                  "Odds ratio, group 1 vs group 2 (log scale)",
                  fallbacks=("odds_ratio_haldane",))
    register(TestEntry(
        name="crosstab", label="Pearson chi-square (crosstab)", family="contingency",
        function=crosstab, compare=_compare_crosstab,
        decides="pearson_chi2", direction="risk_difference",
        direction_meaning="risk difference (share of group 1 minus share of group 2)",
        effect=Effect("phi", "phi", "linear", 0.0, "phi (signed like ad - bc)",
                      fallbacks=("cramers_v",)),
        forest=odds, statistic_label="Pearson chi2",
        tables=(TableSpec("crosstab_counts", "Crosstabulation", builder="crosstab_counts"),
                TableSpec("chi_square_tests", "Chi-Square Tests", builder="chi_square_tests"),
                TableSpec("symmetric_measures", "Symmetric Measures",
                          builder="symmetric_measures"),
                TableSpec("risk_estimate", "Risk Estimate", builder="risk_estimate")),
        methods=("Categorical outcomes were compared with Pearson's chi-square test without "
                 "continuity correction (the Yates-corrected, likelihood-ratio and Fisher's "
                 "exact tests are reported beside it; Fisher's exact test decides when an "
                 "expected count is below 5), with phi or Cramér's V as the effect size."),
        why="configured: crosstab (categorical outcome)",
        outcomes=("binary", "categorical"), pooled_test="logit",
        survey_counterpart="svy_crosstab",
        labels={"pearson_chi2": "Pearson chi2", "fisher_exact": "Fisher's exact",
                "phi": "phi", "cramers_v": "Cramér's V", "odds_ratio": "OR",
                "odds_ratio_haldane": "OR (Haldane)"},
    ))
    register(TestEntry(
        name="mann_whitney", label="Mann-Whitney U", family="nonparametric",
        function=mann_whitney, compare=_compare_mann_whitney,
        decides="z", direction="rank_biserial",
        direction_meaning="rank-biserial correlation (group 1 above group 2 is positive)",
        effect=Effect("r", "r", "linear", 0.0, "r = Z/√N (Mann-Whitney)"),
        forest=Effect("r", "r", "linear", 0.0, "r = Z/√N (Mann-Whitney)"),
        statistic_label="Z",
        tables=(TableSpec("mw_ranks", "Ranks", builder="mw_ranks"),
                TableSpec("mw_test_statistics", "Test Statistics",
                          builder="mw_test_statistics")),
        methods=("Metric outcomes that were not normal were compared with the Mann-Whitney U "
                 "test (Z from the tie-corrected normal approximation without continuity "
                 "correction, exact p for small samples), with r = Z/√N and the rank-biserial "
                 "correlation as effect sizes."),
        why="configured: mann_whitney",
        outcomes=("metric",), auto_when="not normal", survey_counterpart="svy_rank",
        labels={"z": "Z", "r": "r", "mann_whitney_u": "U"},
    ))
    register(TestEntry(
        name="welch_t", label="Welch t-test", family="parametric",
        function=welch_t, compare=_compare_welch,
        decides="t", direction="mean_difference",
        direction_meaning="mean difference (group 1 minus group 2)",
        effect=Effect("hedges_g", "Hedges g", "linear", 0.0, "Hedges g (t-test)"),
        forest=Effect("hedges_g", "g", "linear", 0.0, "Hedges g (t-test)"),
        statistic_label="t",
        tables=(TableSpec("welch_t", "Independent Samples Test (Welch)", builder="welch_t"),),
        methods=("Metric outcomes that were normal in both groups were compared with Welch's "
                 "unequal-variance t-test, with Hedges' g as the effect size."),
        why="configured: welch_t",
        outcomes=("metric",), auto_when="normal", survey_counterpart="svy_rank",
        labels={"t": "t", "hedges_g": "Hedges g"},
    ))
    register(TestEntry(
        name="logit", label="Binary logistic regression", family="regression",
        function=logistic_regression, compare=_compare_logit,
        decides="wald", direction="B", direction_term="focus",
        direction_meaning="B of the group-1 term (log odds of group 1 minus group 2)",
        effect=Effect("exp_b", "Exp(B)", "log", 1.0,
                      "Exp(B), odds ratio of group 1 vs group 2 (log scale)", term="focus"),
        forest=Effect("exp_b", "Exp(B)", "log", 1.0,
                      "Odds ratio, group 1 vs group 2 (log scale)", term="focus"),
        statistic_label="Wald",
        tables=(TableSpec("logit_variables", "Variables in the Equation",
                          builder="logit_variables"),
                TableSpec("logit_model_summary", "Model Summary", builder="logit_model_summary"),
                TableSpec("logit_omnibus", "Omnibus Tests of Model Coefficients",
                          builder="logit_omnibus"),
                TableSpec("logit_hosmer_lemeshow", "Hosmer and Lemeshow Test",
                          builder="logit_hosmer_lemeshow"),
                TableSpec("logit_hl_contingency",
                          "Contingency Table for Hosmer and Lemeshow Test",
                          builder="logit_hl_contingency"),
                TableSpec("logit_classification", "Classification Table",
                          builder="logit_classification")),
        methods=("Binary outcomes were also modelled by binary logistic regression (Wald test "
                 "of the group term, Exp(B) with its 95% CI, omnibus test, Cox & Snell and "
                 "Nagelkerke R², Hosmer-Lemeshow test, classification at cut 0.5); separation "
                 "is detected exactly and reported with Firth estimates, never as huge "
                 "coefficients."),
        why="configured: binary logistic regression",
        outcomes=("binary",), pooled_test="logit", survey_counterpart="svy_logit",
        labels={"wald": "Wald", "exp_b": "Exp(B)", "firth_exp_b": "Exp(B) Firth"},
    ))
    _build_survey(odds)
    missing = [f"{n}: {e.survey_counterpart!r}" for n, e in REGISTRY.items()
               if e.survey_counterpart and e.survey_counterpart not in REGISTRY]
    if missing:
        raise RegistryError(f"survey counterparts not registered: {'; '.join(missing)}")
    _BUILT = True


_DESIGN = ("linearized variances, PSUs (the declared clusters, else the firms) with "
           "replacement within strata, #PSUs - #strata design degrees of freedom, subgroups "
           "as domains of the survey")


def _build_survey(odds: Effect) -> None:
    """The design-based counterparts, run beside the unweighted tests on panels that declare a
    survey design (weights, strata, clusters; :mod:`analysis.stats.survey`)."""
    from analysis.stats.survey import svy_crosstab, svy_logit, svy_rank_test

    register(TestEntry(
        name="svy_crosstab", label="Rao-Scott chi-square (survey-weighted crosstab)",
        family="survey", function=svy_crosstab, compare=_compare_svy_crosstab,
        decides="rao_scott_f", direction="risk_difference",
        direction_meaning="weighted risk difference (weighted share of group 1 minus group 2)",
        effect=Effect("risk_difference", "RD (weighted)", "linear", 0.0,
                      "Weighted risk difference, group 1 minus group 2 (design-based)"),
        forest=Effect("odds_ratio", "OR (weighted)", "log", 1.0, odds.axis),
        statistic_label="Rao-Scott F",
        tables=(TableSpec("svy_shares", "Weighted Shares (design-based)", builder="svy_shares"),
                TableSpec("svy_crosstab_weights", "Weight Sensitivity", builder="svy_weights"),
                TableSpec("svy_chi_square", "Design-based Chi-Square Test (Rao-Scott)",
                          columns=(("pearson_chi2_weighted", "value", "Pearson X² (SRS)"),
                                   ("rao_scott_f", "value", "Rao-Scott F"),
                                   ("rao_scott_f", "df", "df1"),
                                   ("rao_scott_ddf", "value", "df2"),
                                   ("rao_scott_f", "p", "Sig."),
                                   ("rao_scott_chi2", "value", "X² (1st order)"),
                                   ("deff_mean", "value", "Mean deff"),
                                   ("risk_difference", "value", "RD (weighted)"),
                                   ("risk_difference", "ci_low", "RD Lower"),
                                   ("risk_difference", "ci_high", "RD Upper"),
                                   ("odds_ratio", "value", "OR (weighted)")),
                          note=("Pearson X² of the weighted table scaled to the sample size "
                                "assumes simple random sampling; the Rao-Scott F (second-order "
                                "correction, Satterthwaite df) is the design-based test."))),
        methods=("Where a panel declares its survey design (sampling weights, strata, "
                 "clusters), categorical outcomes were also compared design-based: weighted "
                 "shares with linearized standard errors and logit 95% CIs beside the "
                 "unweighted n, and Pearson's chi-square with the Rao-Scott second-order "
                 "correction (F with Satterthwaite degrees of freedom; the first-order "
                 "correction and the mean design effect beside it), with the weighted risk "
                 f"difference and odds ratio; {_DESIGN}."),
        why="design-based counterpart of crosstab (survey design declared)",
        outcomes=("binary", "categorical"), pooled_test="svy_logit",
        labels={"rao_scott_f": "Rao-Scott F", "rao_scott_chi2": "Rao-Scott chi2 (1st order)",
                "pearson_chi2_weighted": "Pearson chi2 (weighted)",
                "risk_difference": "RD (weighted)", "odds_ratio": "OR (weighted)",
                "share": "weighted share", "deff_mean": "mean deff"},
    ))
    register(TestEntry(
        name="svy_logit", label="Survey-weighted logistic regression", family="survey",
        function=svy_logit, compare=_compare_svy_logit,
        decides="wald", direction="B", direction_term="focus",
        direction_meaning="B of the group-1 term (weighted log odds of group 1 minus group 2)",
        effect=Effect("exp_b", "Exp(B) (weighted)", "log", 1.0,
                      "Exp(B), odds ratio of group 1 vs group 2 (log scale)", term="focus"),
        forest=Effect("exp_b", "Exp(B) (weighted)", "log", 1.0, odds.axis, term="focus"),
        statistic_label="Wald F",
        tables=(TableSpec("svy_logit", "Variables in the Equation (survey-weighted)",
                          columns=(("B", "value", "B"), ("se", "value", "S.E. (linearized)"),
                                   ("wald", "value", "Wald F"), ("design_ddf", "value", "ddf"),
                                   ("wald", "p", "Sig."), ("exp_b", "value", "Exp(B)"),
                                   ("exp_b", "ci_low", "Lower"), ("exp_b", "ci_high", "Upper"),
                                   ("deff", "value", "deff")),
                          note=("The group-1 term. Weighted pseudo-maximum likelihood; Wald F "
                                "on (1, ddf) with ddf = design df - parameters + 1.")),
                TableSpec("svy_logit_weights", "Weight Sensitivity", builder="svy_weights")),
        methods=("Binary outcomes were also modelled by survey-weighted logistic regression "
                 "(weighted pseudo-maximum likelihood, linearized sandwich standard errors, "
                 "Wald F tests on design df - parameters + 1, Exp(B) with its 95% CI and the "
                 f"coefficient's design effect); {_DESIGN}."),
        why="design-based counterpart of logit (survey design declared)",
        outcomes=("binary",), pooled_test="svy_logit",
        labels={"wald": "Wald F", "exp_b": "Exp(B) (weighted)", "deff": "deff"},
    ))
    register(TestEntry(
        name="svy_rank", label="Design-based rank test (Lumley-Scott)", family="survey",
        function=svy_rank_test, compare=_compare_svy_rank,
        decides="t", direction="rank_difference",
        direction_meaning=("difference of weighted mean rank scores (group 1 above group 2 is "
                           "positive)"),
        effect=Effect("rank_biserial", "rank-biserial (weighted)", "linear", 0.0,
                      "Rank-biserial correlation (design-based rank test)"),
        forest=Effect("rank_biserial", "rb (weighted)", "linear", 0.0,
                      "Rank-biserial correlation (design-based rank test)"),
        statistic_label="t",
        tables=(TableSpec("svy_rank", "Design-based Rank Test",
                          columns=(("weighted_mean_rank", "value", "Mean rank score, group 1"),
                                   ("rank_difference", "value", "Difference"),
                                   ("rank_difference", "ci_low", "Lower"),
                                   ("rank_difference", "ci_high", "Upper"),
                                   ("t", "value", "t"), ("t", "df", "df"),
                                   ("t", "p", "Sig. (2-tailed)"),
                                   ("rank_biserial", "value", "Rank-biserial")),
                          note=("Rank scores are estimated population mid-ranks / population "
                                "size; the difference is group 1 minus group 2 (Lumley & "
                                "Scott 2013).")),
                TableSpec("svy_rank_weights", "Weight Sensitivity", builder="svy_weights")),
        methods=("Metric outcomes were also compared with the design-based Wilcoxon-Mann-"
                 "Whitney rank test of Lumley and Scott (estimated population mid-ranks, "
                 "difference of weighted mean rank scores with a linearized standard error, t "
                 f"on design df - 1, twice the difference as a rank-biserial correlation); "
                 f"{_DESIGN}."),
        why="design-based counterpart of the rank / t test (survey design declared)",
        outcomes=("metric",),
        labels={"t": "t", "rank_biserial": "rank-biserial (weighted)",
                "rank_difference": "rank difference"},
    ))


def statistic_label(name: str) -> str:
    """The printed name of a statistic, from whichever entry labels it (else the name)."""
    for e in REGISTRY.values():
        if name in e.labels:
            return e.labels[name]
    return name


def sign(value: float, tolerance: float = 1e-9) -> str:
    """Direction of a difference: positive, negative, none (|value| < tolerance) or ''."""
    if value is None or not np.isfinite(value):
        return ""
    if abs(value) < tolerance:
        return "none"
    return "positive" if value > 0 else "negative"


_build()
