"""Pathways of internationalization classified from the firm-year panel.

Each firm is classified as ``domestic``, ``born_global``, ``born_again_global``, ``traditional``
or ``de_internationalizing`` by declarative thresholds (``config/pathways.yaml``). Every rule is
evaluated; the firm gets the first pathway in the configured ``precedence`` whose rule fires,
and the output says which rule fired, with the numbers. See ``docs/qualitative.md``.

The panel follows the canonical firm-year contract: ``firm_id``, ``country``, ``year``,
``founded``, ``first_export_year`` (nullable; NA = never exported), ``export_share`` (percent),
``sme`` (nullable boolean), ``size_group`` ("SME" / "non-SME"), ``employees``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import PipelineInputError

PATHWAYS: tuple[str, ...] = (
    "domestic", "born_global", "born_again_global", "traditional", "de_internationalizing",
)
DEFAULT_PRECEDENCE: tuple[str, ...] = (
    "domestic", "de_internationalizing", "born_global", "born_again_global", "traditional",
)
DEFAULT_THRESHOLDS: dict[str, Any] = {
    "born_global_years": 3,
    "born_global_share": 25.0,
    "born_global_share_proxy": "first_observed",
    "born_again_min_domestic_years": 10,
    "born_again_share": 25.0,
    "born_again_rise_years": 3,
    "deint_drop_points": 10.0,
    "deint_min_years": 2,
    "deint_exit_min_zero_years": 1,
}
REQUIRED_COLUMNS: tuple[str, ...] = (
    "firm_id", "country", "year", "founded", "first_export_year", "export_share",
)
# Variables a panel may lack (the WBES standardized extract has no first_export_year): they are
# "not available in this panel", the firms are classified without them (first export from the
# first positive export share, the panel proxy) and the caption and log say so.
OPTIONAL_COLUMNS: tuple[str, ...] = ("founded", "first_export_year")
SIZE_ORDER: tuple[str, ...] = ("SME", "non-SME")
CLASSIFIED_COLUMNS: list[str] = [
    "firm_id", "country", "sme", "size_group", "founded", "first_export_year",
    "first_export_source", "years_to_first_export", "n_obs", "first_year", "last_year",
    "first_export_share", "max_export_share", "last_export_share", "pathway", "rule",
    "rules_matched",
]


def load_pathway_config(path: str | Path) -> dict[str, Any]:
    """Read ``config/pathways.yaml`` and check it.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    dict
        Keys ``pathways``, ``precedence``, ``thresholds``, ``sources``.
    """
    from analysis.config import load_yaml

    cfg = load_yaml(path)
    _resolve(cfg)
    return cfg


def _resolve(thresholds: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """Split a config (or a bare thresholds mapping) into thresholds and precedence."""
    thresholds = dict(thresholds or {})
    if "thresholds" in thresholds:
        th = dict(thresholds["thresholds"] or {})
        precedence = list(thresholds.get("precedence") or DEFAULT_PRECEDENCE)
    else:
        th = {k: v for k, v in thresholds.items() if k != "precedence"}
        precedence = list(thresholds.get("precedence") or DEFAULT_PRECEDENCE)
    problems = [f"unknown threshold {k!r}; known: {sorted(DEFAULT_THRESHOLDS)}"
                for k in th if k not in DEFAULT_THRESHOLDS]
    merged = {**DEFAULT_THRESHOLDS, **th}
    if sorted(precedence) != sorted(PATHWAYS):
        problems.append(f"precedence must list each of {list(PATHWAYS)} once, got {precedence}")
    if merged["born_global_share_proxy"] not in ("first_observed", "none"):
        problems.append("born_global_share_proxy must be 'first_observed' or 'none'")
    if float(merged["deint_drop_points"]) <= 0:
        problems.append("deint_drop_points must be > 0")
    for k in ("deint_min_years", "deint_exit_min_zero_years"):
        if int(merged[k]) < 1:
            problems.append(f"{k} must be >= 1")
    if problems:
        raise PipelineInputError("pathway configuration is not valid", problems)
    return merged, precedence


def _g(x: float) -> str:
    return f"{x:g}"


def _firm_attrs(g: pd.DataFrame) -> dict[str, Any]:
    fid = g["firm_id"].iloc[0]
    problems = []
    for col in ("country", "founded", "first_export_year"):
        vals = g[col].dropna().unique()
        if len(vals) > 1:
            problems.append(f"firm {fid}: {col} differs between years ({sorted(map(str, vals))})")
    if problems:
        raise PipelineInputError("panel: firm attributes must be constant", problems)
    first = g.iloc[0]
    sme = first["sme"] if "sme" in g else pd.NA
    size = first["size_group"] if "size_group" in g else pd.NA
    fe = g["first_export_year"].dropna()
    return {
        "firm_id": fid,
        "country": g["country"].dropna().iloc[0] if g["country"].notna().any() else pd.NA,
        "sme": pd.NA if pd.isna(sme) else bool(sme),
        "size_group": pd.NA if pd.isna(size) else str(size),
        "founded": int(g["founded"].dropna().iloc[0]) if g["founded"].notna().any() else pd.NA,
        "first_export_year": int(fe.iloc[0]) if len(fe) else pd.NA,
    }


def _classify_firm(g: pd.DataFrame, th: Mapping[str, Any],
                   precedence: Sequence[str]) -> dict[str, Any]:
    a = _firm_attrs(g)
    obs = g.loc[g["export_share"].notna(), ["year", "export_share"]]
    years = [int(y) for y in obs["year"]]
    shares = [float(s) for s in obs["export_share"]]
    founded = a["founded"]
    last_year = int(g["year"].max())

    fey = a["first_export_year"]
    source = "reported"
    if pd.isna(fey):
        positive = [y for y, s in zip(years, shares, strict=True) if s > 0]
        if positive:
            fey, source = positive[0], "panel_proxy"
        else:
            source = "none"
    ytf = pd.NA if pd.isna(fey) or pd.isna(founded) else int(fey) - int(founded)
    exported = (not pd.isna(fey) and int(fey) <= last_year) or any(s > 0 for s in shares)

    fired: dict[str, str] = {}
    # domestic -----------------------------------------------------------------------------
    if not exported:
        why = "never exported: first_export_year NA and export share 0 in every observed year"
        if not pd.isna(fey):
            why = f"no export by the end of the panel (first export {int(fey)} > {last_year})"
        if not shares:
            why += " (no export share observed)"
        fired["domestic"] = why
    else:
        # de-internationalizing: sustained fall -------------------------------------------
        if len(shares) >= 2:
            mx = max(shares)
            y_mx = years[shares.index(mx)]
            level = mx - float(th["deint_drop_points"])
            run = 0
            for s in reversed(shares):
                if s <= level:
                    run += 1
                else:
                    break
            if run >= int(th["deint_min_years"]):
                fired["de_internationalizing"] = (
                    f"sustained fall: max {_g(mx)}% ({y_mx}) -> last {_g(shares[-1])}% "
                    f"({years[-1]}), drop {_g(mx - shares[-1])} >= "
                    f"{_g(float(th['deint_drop_points']))} points; {run} trailing obs <= "
                    f"{_g(level)}% (>= {int(th['deint_min_years'])})")
        # de-internationalizing: exit -----------------------------------------------------
        zeros = 0
        for s in reversed(shares):
            if s == 0:
                zeros += 1
            else:
                break
        if zeros >= int(th["deint_exit_min_zero_years"]) and "de_internationalizing" not in fired:
            before = shares[: len(shares) - zeros]
            first_zero_year = years[len(shares) - zeros]
            if any(s > 0 for s in before):
                last_pos = max(i for i, s in enumerate(before) if s > 0)
                fired["de_internationalizing"] = (
                    f"exit: {_g(before[last_pos])}% in {years[last_pos]}, then 0% in the last "
                    f"{zeros} obs ({first_zero_year}-{years[-1]}; >= "
                    f"{int(th['deint_exit_min_zero_years'])})")
            elif source == "reported" and int(fey) < first_zero_year:
                fired["de_internationalizing"] = (
                    f"exit: first export reported in {int(fey)}, 0% in all {zeros} observed "
                    f"years ({first_zero_year}-{years[-1]})")
        # born global ---------------------------------------------------------------------
        bg_years, bg_share = int(th["born_global_years"]), float(th["born_global_share"])
        if not pd.isna(ytf) and ytf <= bg_years:
            end = int(founded) + bg_years
            window = [(y, s) for y, s in zip(years, shares, strict=True) if y <= end]
            if window:
                hits = [(y, s) for y, s in window if s >= bg_share]
                if hits:
                    fired["born_global"] = (
                        f"first export {ytf} <= {bg_years} years after founding ({founded}); "
                        f"share {_g(hits[0][1])}% >= {_g(bg_share)}% in {hits[0][0]} (within "
                        f"{bg_years} years)")
            elif (th["born_global_share_proxy"] == "first_observed" and shares
                  and shares[0] >= bg_share):
                fired["born_global"] = (
                    f"first export {ytf} <= {bg_years} years after founding ({founded}); "
                    f"proxy: first observed share {_g(shares[0])}% ({years[0]}, age "
                    f"{years[0] - int(founded)}) >= {_g(bg_share)}%")
        # born-again global ---------------------------------------------------------------
        min_dom = int(th["born_again_min_domestic_years"])
        if not pd.isna(ytf) and ytf >= min_dom:
            end = int(fey) + int(th["born_again_rise_years"])
            ba_share = float(th["born_again_share"])
            window = [(y, s) for y, s in zip(years, shares, strict=True)
                      if int(fey) <= y <= end and s >= ba_share]
            if window:
                y_hit, s_hit = window[0]
                fired["born_again_global"] = (
                    f"domestic {ytf} >= {min_dom} years after founding ({founded}); share "
                    f"{_g(s_hit)}% >= {_g(ba_share)}% in {y_hit}, {y_hit - int(fey)} <= "
                    f"{int(th['born_again_rise_years'])} years after first export ({int(fey)})")
        # traditional ---------------------------------------------------------------------
        fired["traditional"] = (
            "exported; no other rule fired"
            + ("" if pd.isna(ytf) else f" (first export {ytf} years after founding)"))

    pathway = next(p for p in precedence if p in fired)
    rule = f"{pathway}: {fired[pathway]}"
    if source == "panel_proxy":
        rule += f" [first_export_year missing; first positive share ({int(fey)}) used]"
    return {
        **a,
        "first_export_year": pd.NA if pd.isna(fey) else int(fey),
        "first_export_source": source,
        "years_to_first_export": ytf,
        "n_obs": len(shares),
        "first_year": int(g["year"].min()),
        "last_year": last_year,
        "first_export_share": shares[0] if shares else float("nan"),
        "max_export_share": max(shares) if shares else float("nan"),
        "last_export_share": shares[-1] if shares else float("nan"),
        "pathway": pathway,
        "rule": rule,
        "rules_matched": ";".join(p for p in precedence if p in fired),
    }


def classify_pathways(panel: pd.DataFrame,
                      thresholds: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Classify each firm's internationalization pathway from its panel history.

    Rules (thresholds from ``config/pathways.yaml``; the first in ``precedence`` that fires
    wins, default order domestic > de_internationalizing > born_global > born_again_global >
    traditional):

    - ``domestic``: no export by the end of the panel (first_export_year NA or after the last
      year, and no positive share observed).
    - ``de_internationalizing``: the last observed share is >= ``deint_drop_points`` below the
      panel maximum and the trailing run of observations at or below (max - drop) is >=
      ``deint_min_years`` long; or exit: a positive share (or a reported pre-panel first
      export) followed by >= ``deint_exit_min_zero_years`` trailing zero shares.
    - ``born_global``: first_export_year - founded <= ``born_global_years`` and a share
      >= ``born_global_share`` observed within ``born_global_years`` of founding; when the panel
      has no observation in that window, the first observed share is the proxy
      (``born_global_share_proxy: first_observed``; ``none`` disables the proxy).
    - ``born_again_global``: first_export_year - founded >= ``born_again_min_domestic_years``
      and a share >= ``born_again_share`` observed within ``born_again_rise_years`` of the
      first export (no proxy).
    - ``traditional``: every other exporter.

    Missing years are simply absent observations; runs are counted in observations.

    Parameters
    ----------
    panel : DataFrame
        Canonical firm-year panel (one row per firm_id x year).
    thresholds : mapping, optional
        Either the whole ``config/pathways.yaml`` (keys ``thresholds``, ``precedence``) or a
        bare mapping of thresholds (optionally with ``precedence``); missing keys take the
        defaults in :data:`DEFAULT_THRESHOLDS`.

    Returns
    -------
    DataFrame
        One row per firm, sorted by ``firm_id``. Columns: ``firm_id``, ``country``, ``sme``,
        ``size_group`` (both from the firm's first observed year), ``founded``,
        ``first_export_year``, ``first_export_source`` ("reported", "panel_proxy", "none"),
        ``years_to_first_export``, ``n_obs`` (years with an export share), ``first_year``,
        ``last_year``, ``first_export_share``, ``max_export_share``, ``last_export_share``
        (percent), ``pathway``, ``rule`` (the rule that fired, with its numbers),
        ``rules_matched`` (every rule that fired, in precedence order, ";"-separated).

    Raises
    ------
    PipelineInputError
        Missing columns, duplicated firm-years, firm attributes that change between years, or
        an invalid configuration.
    """
    th, precedence = _resolve(thresholds)
    absent = [c for c in OPTIONAL_COLUMNS if c not in panel.columns]
    if absent:
        panel = panel.assign(**{c: pd.Series(pd.NA, index=panel.index, dtype="Int64")
                                for c in absent})
    missing = [c for c in REQUIRED_COLUMNS if c not in panel.columns]
    if missing:
        raise PipelineInputError(f"panel: missing columns {missing}")
    dup = panel.duplicated(["firm_id", "year"])
    if dup.any():
        rows = panel.loc[dup, ["firm_id", "year"]].astype(str).agg(" ".join, axis=1)
        raise PipelineInputError("panel: duplicated firm_id x year", list(rows))
    df = panel.sort_values(["firm_id", "year"], kind="stable")
    rows = [_classify_firm(g, th, precedence) for _, g in df.groupby("firm_id", sort=True)]
    out = pd.DataFrame(rows, columns=CLASSIFIED_COLUMNS)
    for col in ("founded", "first_export_year", "years_to_first_export"):
        out[col] = out[col].astype("Int64")
    out["sme"] = out["sme"].astype("boolean")
    return out.reset_index(drop=True)


def pathway_mix(classified: pd.DataFrame, by: Sequence[str] = ("size_group",),
                pathways: Sequence[str] = PATHWAYS) -> pd.DataFrame:
    """Counts and shares of pathways within groups (e.g. SME status, country).

    Every pathway appears in every group (zero counts included), so shares sum to 1 within a
    group and counts sum to the number of firms. Missing group values are labelled
    ``"(missing)"``.

    Parameters
    ----------
    classified : DataFrame
        Output of :func:`classify_pathways`.
    by : sequence of str
        Grouping columns, e.g. ``("size_group",)``, ``("country",)``,
        ``("country", "size_group")``; ``()`` for the whole sample.
    pathways : sequence of str
        Pathway order in the output.

    Returns
    -------
    DataFrame
        Columns ``*by``, ``pathway``, ``n``, ``group_n``, ``share`` (0-1), ``percent``
        (0-100); sorted by group (SME before non-SME) and pathway order.
    """
    by = list(by)
    df = classified.copy()
    for col in by:
        df[col] = df[col].astype("string").fillna("(missing)").astype(str)
    if not by:
        df["_all"] = "all"
        keys = ["_all"]
    else:
        keys = by
    unknown = sorted(set(df["pathway"]) - set(pathways))
    if unknown:
        raise PipelineInputError(f"pathway_mix: unknown pathways {unknown}")
    groups = df[keys].drop_duplicates()
    full = groups.merge(pd.DataFrame({"pathway": list(pathways)}), how="cross")
    counts = df.groupby(keys + ["pathway"]).size().rename("n").reset_index()
    out = full.merge(counts, on=keys + ["pathway"], how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out["group_n"] = out.groupby(keys)["n"].transform("sum").astype(int)
    out["share"] = out["n"] / out["group_n"]
    out["percent"] = 100.0 * out["share"]
    sort_cols, tmp = [], []
    for col in keys:
        key = f"_k_{col}"
        order = {g: i for i, g in enumerate(SIZE_ORDER)} if col == "size_group" else {}
        out[key] = out[col].map(lambda v, o=order: (o.get(v, len(o)), v))
        sort_cols.append(key)
        tmp.append(key)
    out["_p"] = out["pathway"].map({p: i for i, p in enumerate(pathways)})
    out = out.sort_values(sort_cols + ["_p"], kind="stable").drop(columns=tmp + ["_p"])
    if not by:
        out = out.drop(columns="_all")
    return out.reset_index(drop=True)


def pathway_crosstab(classified: pd.DataFrame, row: str = "pathway",
                     col: str = "size_group") -> pd.DataFrame:
    """Cross-tabulate pathway by size group with :func:`analysis.stats.crosstab`.

    Only pathways and size groups present in the data are passed (empty rows or columns make
    expected counts zero); firms without a size group are dropped.

    Parameters
    ----------
    classified : DataFrame
        Output of :func:`classify_pathways`.
    row, col : str
        Row and column variables.

    Returns
    -------
    DataFrame
        The long result of ``analysis.stats.crosstab`` (columns statistic, term, value, df, p,
        ci_low, ci_high, status, reason).
    """
    from analysis.stats import crosstab

    data = classified.loc[classified[col].notna(), [row, col]].copy()
    data[row] = data[row].astype(str)
    data[col] = data[col].astype(str)
    row_order = [p for p in PATHWAYS if p in set(data[row])]
    row_order += sorted(set(data[row]) - set(row_order))
    col_order = [c for c in SIZE_ORDER if c in set(data[col])]
    col_order += sorted(set(data[col]) - set(col_order))
    return crosstab(data, row, col, row_order=row_order, col_order=col_order)


def plot_pathway_mix(mix: pd.DataFrame, path: str | Path, *, synthetic: bool = False) -> str:
    """Bar chart of pathway shares by size group (one panel per country if present).

    The PNG is deterministic: fixed size and dpi, ``svg.hashsalt`` set, no software or date
    metadata.

    Parameters
    ----------
    mix : DataFrame
        Output of :func:`pathway_mix` with ``size_group`` in ``by`` (optionally ``country``).
    path : str or Path
        Where to write the PNG.
    synthetic : bool
        The firms come from synthetic panels: the figure is marked SYNTHETIC DATA in its
        lower-left corner (as every figure of the render stage) and the caption says so.

    Returns
    -------
    str
        The figure caption (what is shown, units, n).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    if "size_group" not in mix.columns:
        raise PipelineInputError("plot_pathway_mix: mix must be grouped by size_group")
    facet = "country" in mix.columns
    keys = ["country", "size_group"] if facet else ["size_group"]
    n_firms = int(mix.drop_duplicates(keys)["group_n"].sum())
    order = [p for p in PATHWAYS if p in set(mix["pathway"])]
    size_order = [s for s in SIZE_ORDER if s in set(mix["size_group"])]
    size_order += sorted(set(mix["size_group"]) - set(size_order))
    labels = {p: p.replace("_", " ") for p in order}
    data = mix.assign(pathway=mix["pathway"].map(labels))
    with plt.rc_context({"svg.hashsalt": "sme-intl-pathways", "font.size": 9}):
        kw: dict[str, Any] = {}
        if facet:
            kw = {"col": "country", "col_wrap": min(3, mix["country"].nunique()),
                  "col_order": sorted(mix["country"].unique())}
        grid = sns.catplot(data=data, kind="bar", x="size_group", y="percent", hue="pathway",
                           order=size_order, hue_order=[labels[p] for p in order],
                           palette="colorblind", height=3.2, aspect=1.2, errorbar=None, **kw)
        grid.set_axis_labels("Size group", "Firms in group (%)")
        if facet:
            grid.set_titles("{col_name}")
        grid.set(ylim=(0, 100))
        if grid.legend is not None:
            grid.legend.set_title("Pathway")
        grid.figure.suptitle(f"Internationalization pathway by size group (n = {n_firms} firms)")
        grid.figure.subplots_adjust(top=0.85 if not facet else 0.9)
        if synthetic:
            grid.figure.text(0.005, 0.005, "SYNTHETIC DATA", ha="left", va="bottom",
                             fontsize=8, color="#b00020", fontweight="bold")
        grid.figure.savefig(path, dpi=150, metadata={"Software": None})
        plt.close(grid.figure)
    where = " and country (one panel per country)" if facet else ""
    return (f"Share of firms (percent of firms in each size group{where}) by "
            f"internationalization pathway, classified from the firm-year panel by the rules "
            f"in config/pathways.yaml; n = {n_firms} firms.")


def run_pathways(*, panel_path: str, config_path: str, out_classified: str, out_mix: str,
                 out_crosstab: str, out_figure: str) -> str:
    """Stage ``pathways``: classify every firm of the pooled panel; mix, crosstab, figure.

    Returns the figure caption (also written next to the figure as ``.caption.txt``).
    """
    import logging

    from analysis.runlog import write_csv

    log = logging.getLogger(__name__)
    panel = pd.read_parquet(panel_path)
    unavailable = [c for c in OPTIONAL_COLUMNS
                   if c not in panel.columns or panel[c].isna().all()]
    for col in unavailable:
        log.warning("%s: not available in this panel; pathways are classified without it%s",
                    col, " (first export = first year with a positive export share)"
                    if col == "first_export_year" else " (no years to first export: the born-"
                    "global and born-again-global rules cannot fire)")
    classified = classify_pathways(panel, load_pathway_config(config_path))
    by_group = pathway_mix(classified, by=("size_group",))
    by_country = pathway_mix(classified, by=("country", "size_group"))
    mix = pd.concat([by_group.assign(country="all"), by_country], ignore_index=True)
    mix = mix[["country", *[c for c in mix.columns if c != "country"]]]
    if "synthetic" in panel:
        for frame in (classified, mix):
            frame["synthetic"] = bool(panel["synthetic"].any())
    write_csv(classified, out_classified)
    write_csv(mix, out_mix)
    write_csv(pathway_crosstab(classified), out_crosstab)
    synthetic = bool("synthetic" in panel and panel["synthetic"].any())
    caption = plot_pathway_mix(by_group, out_figure, synthetic=synthetic)
    if unavailable:
        caption += (f" Not available in this panel: {', '.join(unavailable)}"
                    + (" (first export taken from the first positive export share)"
                       if "first_export_year" in unavailable else "") + ".")
    if synthetic:
        caption = ("Synthetic data: generated with the study's design, not the study's "
                   "microdata. " + caption)
    Path(out_figure).with_suffix(".caption.txt").write_text(caption + "\n", encoding="utf-8")
    log.info("pathways: %s", classified["pathway"].value_counts().sort_index().to_dict())
    return caption
