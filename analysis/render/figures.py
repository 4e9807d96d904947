"""Figures: propensity, distributions, bands, Q-Q plots and forest plots (PNG and SVG).

Figures show the panel (distributions, shares) and the results schema (confidence intervals
of shares from ``proportion`` rows, effect sizes with CIs for the forest plots, normality
statistics in the Q-Q panels). Every figure function returns ``(figure, caption)``; the caption
is a sentence for the report that says what is shown, from which rows, and with which n.
Synthetic data are marked in a corner of every figure and at the start of its caption.

Files are byte-deterministic: fixed size and dpi, the Agg backend, ``svg.hashsalt``, no dates
or software versions in the metadata, and a seeded jitter for strip points (seaborn's
``stripplot`` draws from the global NumPy generator, so it is not used).

matplotlib and seaborn are imported inside the functions only.

Public functions
----------------
share_figure
    Share of a binary outcome (e.g. internationalized) by group and year, 95% Wilson CIs.
distribution_figure
    Distribution of a metric outcome by group and year (box plot with points).
band_figure
    A variable by group within each degree-of-internationalization band, per year.
qq_figure
    Normal Q-Q plots of a metric variable by group and year (behind Tests of Normality).
forest_figure, forest_samples_figure
    Effect sizes with 95% CIs across years, and across samples (countries).
save_figure, render_figures
    Writers.
"""

from __future__ import annotations

import ast
import contextlib
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.columns import STAT_NUMERIC
from analysis.render.format import format_num, format_p
from analysis.stats import registry, wilson_interval
from analysis.stats.normality import SPSS_LOWER_BOUND

__all__ = [
    "DPI",
    "FORMATS",
    "HASHSALT",
    "band_figure",
    "distribution_figure",
    "forest_figure",
    "forest_samples_figure",
    "qq_figure",
    "render_figures",
    "save_figure",
    "share_figure",
]

HASHSALT = "sme-intl"
DPI = 110  # 825 px across a 7.5 in figure: sharp at the report's width, smaller files
#: Formats written by default: PNG (the report embeds it). SVG and PDF on request: each format
#: is a full redraw of the figure, the largest part of the rendering time.
FORMATS: tuple[str, ...] = ("png",)
WIDTH = 7.5  # inches
PALETTE = ["#1b6ca8", "#d1495b", "#2e8b57", "#8d5fd3", "#e08e0b", "#5c5c5c", "#17becf"]
SYNTHETIC_MARK = "SYNTHETIC DATA"
SYNTHETIC_CAPTION = ("Synthetic data: generated with the study's design, not the study's "
                     "microdata. ")
_RC = {
    "svg.hashsalt": HASHSALT,
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "path.simplify": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# =========================================================================== helpers
@contextlib.contextmanager
def _style() -> Iterator[Any]:
    """The Agg backend and the project's rcParams for the duration of one figure."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(_RC):
        yield plt


def _label(name: str, codebook: Mapping[str, Any] | None, unit: bool = True) -> str:
    from analysis.render.journal import variable_label

    return variable_label(name, codebook, with_unit=unit)


def _lc(text: str) -> str:
    """Lower-case the first letter for use inside a sentence, unless the word is an acronym."""
    first = text.split(" ", 1)[0]
    return text if len(first) > 1 and first[:2].isupper() else text[:1].lower() + text[1:]


def _level_text(v: Any) -> str:
    """A level as the results schema spells group labels: booleans as yes/no."""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    return str(v)


def _as_labels(s: pd.Series) -> pd.Series:
    return s.map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float)
                                                                and math.isnan(v))
                 else _level_text(v))


def _synthetic(*frames: pd.DataFrame | None) -> bool:
    return any(f is not None and "synthetic" in f.columns and f["synthetic"].astype(str)
               .str.lower().isin(["true", "1"]).any() for f in frames)


def _mark(fig: Any, synthetic: bool) -> None:
    if synthetic:
        fig.text(0.005, 0.005, SYNTHETIC_MARK, ha="left", va="bottom", fontsize=8,
                 color="#b00020", fontweight="bold")


def _fmt_p(p: float) -> str:
    """"= .012" or "< .001" (the tables' APA formatting)."""
    text = format_p(p)
    return "" if not text else text if text.startswith("<") else f"= {text}"


def _population_filter(panel: pd.DataFrame, population: str) -> pd.DataFrame:
    """Apply the results' population text ("var in ['a', 'b']; ...") to the panel."""
    if not population or population == "all firms":
        return panel
    out = panel
    for part in population.split(";"):
        m = re.fullmatch(r"\s*(\w+) in (\[.*\])\s*", part)
        if not m or m.group(1) not in out.columns:
            continue
        allowed = {str(v) for v in ast.literal_eval(m.group(2))}
        out = out[_as_labels(out[m.group(1)]).isin(allowed)]
    return out


def _is_binary(s: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(s) or set(pd.unique(s.dropna())) <= {True, False}


def _years(panel: pd.DataFrame) -> list[int]:
    return sorted(int(y) for y in panel["year"].dropna().unique())


#: Raw points drawn per group and year at most; above it, a deterministic subsample (strip
#: points) or evenly spaced order statistics (Q-Q points) stand for the data, so a figure of a
#: million firm-years costs what one of a few thousand does. Boxes and lines use every value.
MAX_POINTS = 2000


def _thin(vals: np.ndarray, seed: int) -> np.ndarray:
    """At most :data:`MAX_POINTS` of ``vals``: a seeded sample without replacement, in order."""
    if vals.size <= MAX_POINTS:
        return vals
    keep = np.sort(np.random.default_rng(seed).choice(vals.size, MAX_POINTS, replace=False))
    return vals[keep]


def _jitter(n: int, width: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-width, width, size=n)


def save_figure(fig: Any, stem: str, outdir: str | Path,
                formats: Sequence[str] = FORMATS) -> list[Path]:
    """Save a figure deterministically as ``outdir/{stem}.{fmt}`` and close it.

    PNG: ``metadata={"Software": None}``; SVG: no Date or Creator (the SVG writer has no
    Software key; Creator is where it names matplotlib); PDF: no CreationDate, Creator or
    Producer. The SVG hash salt is fixed (``svg.hashsalt = "sme-intl"``) so element ids are stable.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    with matplotlib.rc_context(_RC):
        for fmt in formats:
            path = outdir / f"{stem}.{fmt}"
            if fmt == "png":
                meta: dict[str, Any] = {"Software": None}
            elif fmt == "svg":  # the SVG writer knows no "Software" key; Creator names it
                meta = {"Date": None, "Creator": None}
            elif fmt == "pdf":
                meta = {"CreationDate": None, "Creator": None, "Producer": None}
            else:
                raise ValueError(f"unknown figure format {fmt!r}; use png, svg or pdf")
            fig.savefig(path, format=fmt, dpi=DPI, metadata=meta)
            paths.append(path)
    plt.close(fig)
    return paths


# =========================================================================== shares
def _share_rows(results: pd.DataFrame | None, spec_id: str, stratum: str = "",
                ) -> dict[tuple[int, str], tuple[float, float, float]]:
    """(year, group) -> (share, ci_low, ci_high) from the results' proportion rows."""
    if results is None or "statistic" not in results:
        return {}
    r = results[(results["statistic"] == "proportion") & (results["spec_id"] == spec_id)
                & (results["scope"] == "year")
                & (results["stratum"].astype(str).replace("nan", "") == stratum)]
    out = {}
    for _, row in r.iterrows():
        if str(row["status"]) != "ok":
            continue
        out[(int(row["year"]), str(row["term"]))] = (float(row["value"]), float(row["ci_low"]),
                                                    float(row["ci_high"]))
    return out


def share_figure(panel: pd.DataFrame, outcome: str = "internationalized",
                 group_var: str = "size_group", *, results: pd.DataFrame | None = None,
                 spec_id: str = "H1_crosstab", groups: Sequence[str] | None = None,
                 population: str = "all firms", positive: Any = True,
                 codebook: Mapping[str, Any] | None = None,
                 title: str | None = None) -> tuple[Any, str]:
    """Share of a binary outcome by group and year with 95% Wilson CIs (H1).

    The shares and CIs come from the ``proportion`` rows of ``spec_id`` in ``results`` when
    present (the numbers the tables print); otherwise they are computed from the panel with
    the Wilson score interval. n (firm-years per group and year) is printed at each point.
    """
    data = _population_filter(panel, population)
    data = data.assign(_g=_as_labels(data[group_var]))
    groups = list(groups) if groups else sorted(data["_g"].dropna().unique())
    years = _years(data)
    from_results = _share_rows(results, spec_id)
    used_results = False
    with _style() as plt:
        fig, ax = plt.subplots(figsize=(WIDTH, 4.2))
        width = 0.18
        for k, g in enumerate(groups):
            xs, ys, lo, hi, ns = [], [], [], [], []
            for i, y in enumerate(years):
                sub = data[(data["year"] == y) & (data["_g"] == g)][outcome].dropna()
                n = len(sub)
                if (y, g) in from_results:
                    share, low, high = from_results[(y, g)]
                    used_results = True
                else:
                    x = float((sub == positive).sum())
                    share = x / n if n else math.nan
                    low, high = wilson_interval(x, n)
                xs.append(i + (k - (len(groups) - 1) / 2) * width)
                ys.append(100 * share)
                lo.append(max(0.0, 100 * (share - low)))  # results' Wilson bounds can be
                hi.append(max(0.0, 100 * (high - share)))  # 1e-17 off at a share of 0 or 1
                ns.append(n)
            color = PALETTE[k % len(PALETTE)]
            ax.errorbar(xs, ys, yerr=[lo, hi], fmt="o-", color=color, capsize=3, lw=1.2,
                        label=f"{g} (n = {sum(ns)} firm-years)")
            for x, y_, n, h in zip(xs, ys, ns, hi, strict=True):
                if math.isfinite(y_):
                    ax.annotate(f"n={n}", (x, y_ + h), textcoords="offset points",
                                xytext=(0, 3), ha="center", fontsize=7, color=color)
        ax.set_xticks(range(len(years)), [str(y) for y in years])
        ax.set_xlabel("Year")
        ax.set_ylabel(f"{_label(outcome, codebook, unit=False)}: share of firms (%)")
        ax.set_ylim(0, 105)
        ax.legend(title=_label(group_var, codebook, unit=False), loc="lower right",
                  frameon=False)
        ax.set_title(title or f"{_label(outcome, codebook, unit=False)} by "
                              f"{_lc(_label(group_var, codebook, unit=False))} and year")
        _mark(fig, _synthetic(panel, results))
        fig.tight_layout()
    src = (f"the proportion rows of {spec_id} in results.csv" if used_results
           else "the panel")
    pop = "" if population == "all firms" else f" Population: {population}."
    caption = ((SYNTHETIC_CAPTION if _synthetic(panel, results) else "")
               + f"Share of firm-years with '{_label(outcome, codebook, unit=False)}' = yes "
               f"by {_lc(_label(group_var, codebook, unit=False))} and year, with 95% "
               f"Wilson confidence intervals (from {src}); n = firm-years per group and year."
               + pop)
    return fig, caption


# =========================================================================== distributions
def _room_below(ax: Any) -> None:
    """Extend the y axis downwards so the n labels at the bottom do not cover points."""
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo - 0.08 * (hi - lo), hi)


def _box_strip(ax: Any, data: pd.DataFrame, xcol: str, xs: list[Any], value: str,
               groups: list[str], seed: int) -> dict[str, int]:
    """Box plots (no fliers) with jittered points, dodged by group; returns n per group."""
    width = 0.8 / max(len(groups), 1)
    counts = {g: 0 for g in groups}
    for k, g in enumerate(groups):
        color = PALETTE[k % len(PALETTE)]
        for i, x in enumerate(xs):
            vals = data.loc[(data[xcol] == x) & (data["_g"] == g), value].dropna()
            vals = vals.to_numpy(dtype=float)
            counts[g] += vals.size
            pos = i + (k - (len(groups) - 1) / 2) * width
            if vals.size == 0:
                ax.text(pos, 0.02, "n=0", transform=ax.get_xaxis_transform(), ha="center",
                        fontsize=7, color=color)
                continue
            ax.boxplot([vals], positions=[pos], widths=width * 0.8, showfliers=False,
                       patch_artist=True, manage_ticks=False,
                       boxprops={"facecolor": color, "alpha": 0.25, "edgecolor": color},
                       medianprops={"color": color, "lw": 1.5},
                       whiskerprops={"color": color}, capprops={"color": color})
            shown = _thin(vals, seed + 31 * i + k)
            ax.scatter(pos + _jitter(shown.size, width * 0.3, seed + 31 * i + k), shown, s=6,
                       color=color, alpha=0.6, linewidths=0)
            ax.text(pos, 0.01, f"n={vals.size}", transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=6, color=color)
    return counts


def distribution_figure(panel: pd.DataFrame, outcome: str, group_var: str = "size_group",
                        *, groups: Sequence[str] | None = None, population: str = "all firms",
                        codebook: Mapping[str, Any] | None = None, title: str | None = None,
                        seed: int = 0) -> tuple[Any, str]:
    """Distribution of a metric outcome by group and year: box plots with the points (H2, H3).

    Boxes: median and quartiles, whiskers to 1.5 IQR; every firm-year is a point (seeded
    horizontal jitter; above :data:`MAX_POINTS` per box, a seeded subsample of that many). n
    per group and year under each box.
    """
    data = _population_filter(panel, population)
    data = data.assign(_g=_as_labels(data[group_var]))
    groups = list(groups) if groups else sorted(data["_g"].dropna().unique())
    years = _years(data)
    with _style() as plt:
        fig, ax = plt.subplots(figsize=(WIDTH, 4.2))
        counts = _box_strip(ax, data, "year", years, outcome, groups, seed)
        _room_below(ax)
        ax.set_xticks(range(len(years)), [str(y) for y in years])
        ax.set_xlim(-0.6, len(years) - 0.4)
        ax.set_xlabel("Year")
        ax.set_ylabel(_label(outcome, codebook))
        handles = [plt.Line2D([], [], marker="s", ls="", color=PALETTE[k % len(PALETTE)],
                              label=f"{g} (n = {counts[g]} firm-years)")
                   for k, g in enumerate(groups)]
        ax.legend(handles=handles, title=_label(group_var, codebook, unit=False),
                  frameon=False, loc="upper right")
        pop = "" if population == "all firms" else f" ({population})"
        ax.set_title(title or f"{_label(outcome, codebook, unit=False)} by "
                              f"{_lc(_label(group_var, codebook, unit=False))} and year{pop}")
        _mark(fig, _synthetic(panel))
        fig.tight_layout()
    glabel = _lc(_label(group_var, codebook, unit=False))
    caption = ((SYNTHETIC_CAPTION if _synthetic(panel) else "")
               + f"{_label(outcome, codebook)} by {glabel} ("
               + ", ".join(f"{g}: n = {counts[g]}" for g in groups)
               + " firm-years) in each year"
               + ("" if population == "all firms" else f", population {population}")
               + ". Boxes show the median and quartiles, whiskers 1.5 times the interquartile "
               "range; points are firm-years (horizontal jitter only"
               + (f"; a seeded subsample of {MAX_POINTS} per box where there are more"
                  if len(data) > MAX_POINTS else "") + ").")
    return fig, caption


def band_figure(panel: pd.DataFrame, variable: str, group_var: str = "size_group",
                band_var: str = "doi_band", *, groups: Sequence[str] | None = None,
                population: str = "all firms", codebook: Mapping[str, Any] | None = None,
                positive: Any = True, seed: int = 0) -> tuple[Any, str]:
    """A variable by group within each degree-of-internationalization band, one panel a year.

    Binary variables: share with 95% Wilson CI per band and group; metric variables: box
    plots with points (H4, H5).
    """
    data = _population_filter(panel, population)
    data = data.assign(_g=_as_labels(data[group_var]))
    groups = list(groups) if groups else sorted(data["_g"].dropna().unique())
    col = data[band_var]
    bands = (list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype)
             else sorted(col.dropna().astype(str).unique()))
    data = data.assign(_b=data[band_var].astype(object))
    years = _years(data)
    binary = _is_binary(data[variable])
    with _style() as plt:
        fig, axes = plt.subplots(1, len(years), figsize=(WIDTH + 1.5, 3.8), sharey=True,
                                 squeeze=False)
        totals = {g: 0 for g in groups}
        for j, (ax, y) in enumerate(zip(axes[0], years, strict=True)):
            sub = data[data["year"] == y]
            if binary:
                width = 0.8 / max(len(groups), 1)
                for k, g in enumerate(groups):
                    color = PALETTE[k % len(PALETTE)]
                    for i, b in enumerate(bands):
                        vals = sub.loc[(sub["_b"] == b) & (sub["_g"] == g), variable].dropna()
                        n = len(vals)
                        totals[g] += n
                        pos = i + (k - (len(groups) - 1) / 2) * width
                        if n == 0:
                            ax.text(pos, 2, "n=0", ha="center", fontsize=6, color=color)
                            continue
                        x = float((vals == positive).sum())
                        lo, hi = wilson_interval(x, n)
                        share = 100 * x / n
                        ax.bar(pos, share, width=width * 0.9, color=color, alpha=0.35,
                               edgecolor=color, label=g if (i == 0 and j == 0) else None)
                        ax.errorbar(pos, share, yerr=[[max(0.0, share - 100 * lo)],
                                                      [max(0.0, 100 * hi - share)]],
                                    color=color, capsize=2, lw=1)
                        ax.text(pos, 1, f"{n}", ha="center", va="bottom", fontsize=6,
                                color="black")
                ax.set_ylim(0, 105)
            else:
                counts = _box_strip(ax, sub, "_b", bands, variable, groups, seed + 97 * j)
                for g in groups:
                    totals[g] += counts[g]
            ax.set_xticks(range(len(bands)), bands)
            ax.set_xlim(-0.6, len(bands) - 0.4)
            ax.set_title(str(y))
            ax.set_xlabel(_label(band_var, codebook, unit=False))
        if not binary:
            _room_below(axes[0][0])
        axes[0][0].set_ylabel(f"{_label(variable, codebook, unit=False)}: share (%)" if binary
                              else _label(variable, codebook))
        handles = [plt.Line2D([], [], marker="s", ls="", color=PALETTE[k % len(PALETTE)],
                              label=f"{g} (n = {totals[g]} firm-years)")
                   for k, g in enumerate(groups)]
        fig.legend(handles=handles, title=_label(group_var, codebook, unit=False),
                   loc="lower center", ncol=len(groups), frameon=False,
                   bbox_to_anchor=(0.5, 0.0))
        fig.suptitle(f"{_label(variable, codebook, unit=False)} by "
                     f"{_lc(_label(group_var, codebook, unit=False))} within degree-of-"
                     "internationalization bands")
        _mark(fig, _synthetic(panel))
        fig.tight_layout(rect=(0, 0.1, 1, 1))
    what = ("share (%) with 95% Wilson confidence intervals; the number in each bar is its n"
            if binary else "box plots (median, quartiles, whiskers 1.5 IQR) with firm-years "
            "as points; n under each box")
    glabel = _lc(_label(group_var, codebook, unit=False))
    caption = ((SYNTHETIC_CAPTION if _synthetic(panel) else "")
               + f"{_label(variable, codebook)} by {glabel} within each band of "
               f"{_lc(_label(band_var, codebook, unit=False))} ("
               + ", ".join(bands) + "), one panel per year: " + what + ". Firm-years: "
               + ", ".join(f"{g} {totals[g]}" for g in groups)
               + ("" if population == "all firms" else f"; population {population}") + ".")
    return fig, caption


# =========================================================================== Q-Q
def _normality_note(normality: pd.DataFrame | None, variable: str, year: int,
                    group_var: str, group: str) -> str:
    if normality is None or group_var not in normality.columns:
        return ""
    n = normality[(normality["variable"] == variable)
                  & (pd.to_numeric(normality["year"], errors="coerce") == year)
                  & (normality[group_var].astype(str) == group)]
    parts = []
    for test, name in (("ks_lilliefors", "K-S"), ("shapiro_wilk", "S-W")):
        r = n[n["test"] == test]
        if len(r) and str(r["status"].iloc[0]) == "ok":
            p = float(r["p"].iloc[0])
            if str(r["lower_bound"].iloc[0]).strip().lower() in ("true", "1"):
                ptxt = f"p = {format_p(p, SPSS_LOWER_BOUND)}"
            else:
                ptxt = f"p {_fmt_p(p)}"
            parts.append(f"{name} {format_num(r['statistic'].iloc[0])}, {ptxt}")
    return "\n".join(parts)


def qq_figure(panel: pd.DataFrame, variable: str, group_var: str = "size_group", *,
              normality: pd.DataFrame | None = None, groups: Sequence[str] | None = None,
              codebook: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """Normal Q-Q plots of a metric variable, one panel per group (rows) and year (columns).

    Points: ordered values against normal quantiles (:func:`scipy.stats.probplot`), with the
    least-squares line. Each panel prints n and, when ``normality`` (normality.csv) has the
    year x group rows, the K-S (Lilliefors) and Shapiro-Wilk statistics and p.
    """
    from scipy import stats

    data = panel.assign(_g=_as_labels(panel[group_var]))
    groups = list(groups) if groups else sorted(data["_g"].dropna().unique())
    years = _years(data)
    with _style() as plt:
        fig, axes = plt.subplots(len(groups), len(years),
                                 figsize=(WIDTH + 0.5, 2.3 * len(groups) + 0.6), squeeze=False)
        for i, g in enumerate(groups):
            for j, y in enumerate(years):
                ax = axes[i][j]
                vals = data.loc[(data["year"] == y) & (data["_g"] == g), variable].dropna()
                vals = vals.to_numpy(dtype=float)
                color = PALETTE[i % len(PALETTE)]
                if vals.size >= 3 and np.ptp(vals) > 0:
                    (osm, osr), (slope, icept, _) = stats.probplot(vals, dist="norm")
                    if osm.size > MAX_POINTS:  # evenly spaced order statistics
                        idx = np.unique(np.linspace(0, osm.size - 1, MAX_POINTS).round()
                                        .astype(int))
                        osm, osr = osm[idx], osr[idx]
                    ax.scatter(osm, osr, s=6, color=color, linewidths=0)
                    ax.plot(osm, slope * osm + icept, color="black", lw=0.8)
                else:
                    ax.text(0.5, 0.5, f"not plotted (n = {vals.size}"
                            + (", constant" if vals.size and np.ptp(vals) == 0 else "") + ")",
                            ha="center", va="center", transform=ax.transAxes, fontsize=7)
                note = _normality_note(normality, variable, y, group_var, g)
                ax.text(0.03, 0.97, f"n = {vals.size}" + (f"\n{note}" if note else ""),
                        transform=ax.transAxes, ha="left", va="top", fontsize=6)
                ax.set_title(f"{g}, {y}", fontsize=8)
                if i == len(groups) - 1:
                    ax.set_xlabel("Theoretical normal quantile")
                if j == 0:
                    ax.set_ylabel(_label(variable, codebook))
        fig.suptitle(f"Normal Q-Q plots: {_label(variable, codebook, unit=False)} by "
                     f"{_lc(_label(group_var, codebook, unit=False))} and year")
        _mark(fig, _synthetic(panel, normality))
        fig.tight_layout()
    caption = ((SYNTHETIC_CAPTION if _synthetic(panel, normality) else "")
               + f"Normal Q-Q plots of {_label(variable, codebook)} by "
               f"{_lc(_label(group_var, codebook, unit=False))} (rows) and year (columns): "
               "ordered firm-year values against standard normal quantiles with the "
               "least-squares line; points off the line mean non-normality. Each panel gives n"
               + (" and the Kolmogorov-Smirnov (Lilliefors) and Shapiro-Wilk statistics and p "
                  "from normality.csv (.200* is SPSS's lower bound)"
                  if normality is not None else "") + ".")
    return fig, caption


# =========================================================================== forest
#: The axis of a comparison whose test has no registry entry (e.g. ``auto`` that never ran):
#: drawn on the figure's first axis, or on this one when there is none.
_NO_EFFECT = ("linear", "Effect size", 0.0)


def _forest_pick(statistics: Sequence[str], terms: Sequence[str], statuses: Sequence[str],
                 group1: str, entry: registry.TestEntry | None) -> int | None:
    """Which of one comparison's rows a forest plot draws (its position, None for none): the
    entry's ``forest`` statistic, or the first of its fallbacks present (an estimable one
    before one that is not); with term ``"focus"`` only the group-1 model term
    (:func:`~analysis.stats.registry.focus_name`)."""
    if entry is None:
        return None
    eff = entry.forest
    rank = {name: i for i, name in enumerate((eff.statistic, *eff.fallbacks))}
    focus = registry.focus_name(group1) if eff.term == "focus" else None
    best: tuple[bool, int, int] | None = None
    for i, (stat, term, status) in enumerate(zip(statistics, terms, statuses, strict=True)):
        if stat in rank and (focus is None or term == focus):
            key = (status != "ok", rank[stat], i)  # estimable first, then fallback order
            best = key if best is None or key < best else best
    return None if best is None else best[2]


def _int_or_none(value: Any) -> int | None:
    """A year as an int; None when missing or not a number."""
    try:
        return None if value is None or pd.isna(value) or value == "" else int(float(value))
    except (TypeError, ValueError):
        return None


def _effect_rows(results: pd.DataFrame, hypothesis: str) -> pd.DataFrame:
    """One effect per comparison, as its test's registry entry draws it in a forest plot.

    The row is the entry's ``forest`` :class:`~analysis.stats.registry.Effect` (statistic,
    then fallbacks; e.g. the odds ratio of a crosstab, Exp(B) of the group term of a logit),
    with its CI, status and reason, its axis (scale and axis title), no-effect value and
    printed name. A comparison without that row is "not estimable" with the test row's reason.
    A comparison is the rows sharing (sample, spec, stratum variable, stratum, scope, year),
    in order of first appearance.
    """
    res = results[results["hypothesis"] == hypothesis]
    keys = ["sample", "spec_id", "stratum_var", "stratum", "scope", "year"]
    text = ["outcome", "group_var", "group1", "group2"]
    col = {c: res[c].tolist() for c in {*keys, "test", "statistic", "term", "status", "reason",
                                        "role"} if c in res}
    col.update({c: [str(v) for v in res[c].tolist()] if c in res else [""] * len(res)
                for c in text})
    num = {c: res[c].to_numpy(dtype=float) for c in ("value", "ci_low", "ci_high")}
    col["year"] = [_int_or_none(v) for v in col["year"]]
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, key in enumerate(zip(*(col[k] for k in keys), strict=True)):
        groups.setdefault(key, []).append(i)
    order = {k: i for i, k in enumerate(dict.fromkeys(col["spec_id"]))}
    strata = {k: i for i, k in enumerate(dict.fromkeys(str(v) for v in col["stratum"]))}
    position = {name: i for i, name in enumerate(registry.REGISTRY)}
    out = []
    for key, rows in groups.items():
        test = str(col["test"][rows[0]])
        entry = registry.REGISTRY.get(test)
        eff = entry.forest if entry is not None else None
        pick = _forest_pick([col["statistic"][i] for i in rows], [col["term"][i] for i in rows],
                            [col["status"][i] for i in rows], col["group1"][rows[0]], entry)
        if pick is None:
            tests = [i for i in rows if col["role"][i] == "test"]
            row = tests[0] if tests else rows[0]
            status, reason = "not estimable", str(col["reason"][row]) or "no effect size"
        else:
            row = rows[pick]
            status, reason = str(col["status"][row]), str(col["reason"][row])
        statistic = str(col["statistic"][row])
        if entry is None or eff is None:
            label = ""
        else:
            label = eff.label if statistic == eff.statistic else entry.label_of(statistic)
        year = key[5]
        first = rows[0]
        out.append({"sample": key[0], "spec_id": key[1], "stratum_var": key[2],
                    **{c: col[c][first] for c in text},
                    "stratum": "" if pd.isna(key[3]) else str(key[3]), "scope": key[4],
                    "year": year, "test": test, "statistic": statistic, "label": label,
                    "scale": eff.scale if eff else "", "axis": eff.axis if eff else "",
                    "null": eff.null if eff else math.nan,
                    "value": float(num["value"][row]), "ci_low": float(num["ci_low"][row]),
                    "ci_high": float(num["ci_high"][row]), "status": status, "reason": reason,
                    "_o": order[key[1]], "_s": strata.get(str(key[3]), 0),
                    "_y": 9999 if key[4] == "pooled" else (year or 0),
                    "_t": position.get(test, len(position))})
    df = pd.DataFrame(out)
    if df.empty:
        return df
    samples = {k: i for i, k in enumerate(dict.fromkeys(col["sample"]))}
    df["_n"] = df["sample"].map(samples)
    return df.sort_values(["_o", "_s", "_y", "_n"], kind="stable").reset_index(drop=True)


def _forest_axis_keys(df: pd.DataFrame) -> list[tuple[str, str, float]]:
    """One (scale, axis title, no-effect value) per distinct axis the rows use, log axes
    first, then in registry order; rows of unregistered tests join the first axis."""
    if df.empty or not (df["axis"] != "").any():
        return [_NO_EFFECT]
    used = df[df["axis"] != ""].sort_values("_t", kind="stable")
    keys = list(dict.fromkeys(zip(used["scale"], used["axis"], used["null"], strict=True)))
    keys.sort(key=lambda k: k[0] != "log")  # stable: registry order within a scale
    return keys


def _forest_axes(plt: Any, n_rows: int, keys: list[tuple[str, str, float]],
                 ) -> tuple[Any, dict[tuple[str, str, float], Any]]:
    height = max(2.5, 0.17 * n_rows + 1.5)
    fig, axes = plt.subplots(1, len(keys), figsize=(WIDTH + 1.0, height), sharey=True,
                             squeeze=False)
    return fig, dict(zip(keys, axes[0], strict=True))


def _draw_forest(axes: dict[tuple[str, str, float], Any], df: pd.DataFrame, ypos: np.ndarray,
                 colors: list[str]) -> None:
    first = next(iter(axes))
    on_axis = [(r.scale, r.axis, r.null) if r.axis else first for r in df.itertuples()]
    for key, ax in axes.items():
        scale, title, null = key
        sub = df[[k == key for k in on_axis]]
        vals = sub.loc[sub["status"] == "ok", ["value", "ci_low", "ci_high"]].to_numpy()
        if scale == "log":
            ax.set_xscale("log")
            ax.axvline(null, color="grey", lw=0.8, ls="--")
            ax.set_xlabel(title)
            finite = vals[np.isfinite(vals) & (vals > 0)]
            lo_lim, hi_lim = null / 2.0, null * 2.0
            if finite.size:
                lo_lim = max(min(lo_lim, float(finite.min()) / 1.5), 1e-3)
                hi_lim = min(max(hi_lim, float(finite.max()) * 1.5), 1e3)
            _log_ticks(ax, lo_lim, hi_lim)
        else:
            ax.axvline(null, color="grey", lw=0.8, ls="--")
            ax.set_xlabel(title)
            lo_lim, hi_lim = null - 1.0, null + 1.0
            finite = vals[np.isfinite(vals)]
            if finite.size:
                lo_lim = min(lo_lim, float(finite.min()) - 0.1)
                hi_lim = max(hi_lim, float(finite.max()) + 0.1)
        ax.set_xlim(lo_lim, hi_lim)
        mid = math.sqrt(lo_lim * hi_lim) if scale == "log" else (lo_lim + hi_lim) / 2
        for idx, r in sub.iterrows():
            y = ypos[idx]
            color = colors[idx]
            if r["status"] != "ok" or not math.isfinite(r["value"]):
                ax.text(mid, y, "not estimable", ha="center", va="center", fontsize=6,
                        color="#777777")
                continue
            v = min(max(r["value"], lo_lim), hi_lim)
            lo = r["ci_low"] if math.isfinite(r["ci_low"]) else lo_lim
            hi = r["ci_high"] if math.isfinite(r["ci_high"]) else hi_lim
            lo, hi = max(lo, lo_lim), min(hi, hi_lim)
            if math.isfinite(r["ci_low"]) or math.isfinite(r["ci_high"]):
                ax.hlines(y, lo, hi, color=color, lw=1.2)
            marker = "D" if r["scope"] == "pooled" else "o"
            ax.plot([v], [y], marker=marker, color=color, ms=4)


def _log_ticks(ax: Any, lo: float, hi: float) -> None:
    """Ticks of a log axis a reader can read: 1-2-5 steps per decade (1, 2, 5 only when the
    axis spans more than two decades), printed as plain numbers (0.2, 0.5, 1, 2, 5)."""
    from matplotlib.ticker import FixedLocator, NullLocator

    span = math.log10(hi / lo)
    subs = (1.0, 2.0, 5.0) if span <= 2.5 else (1.0,)
    step = 1 if span <= 4 else math.ceil(span / 4)  # at most about five decades labelled
    ticks = [m * 10.0 ** e for e in range(math.floor(math.log10(lo)) - 1,
                                          math.ceil(math.log10(hi)) + 1)
             for m in subs if lo <= m * 10.0 ** e <= hi and e % step == 0]
    if not ticks:
        ticks = [1.0] if lo <= 1.0 <= hi else [lo]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([format_num(t, None) for t in ticks])


def _sides(ax: Any, df: pd.DataFrame, scale: str, null: float) -> None:
    """Above the axis, which side means what: right of the no-effect line the outcome is
    larger (or more likely) in group 1 (the direction is group 1 minus group 2), left in
    group 2; the groups are named when every row compares the same two. The two notes sit on
    two lines so that they never overlap, however narrow the axis."""
    pairs = list(dict.fromkeys(zip(df["group1"], df["group2"], strict=True)))
    g1, g2 = pairs[0] if len(pairs) == 1 else ("group 1", "group 2")
    kw = {"xycoords": "axes fraction", "textcoords": "offset points", "fontsize": 6.5,
          "color": "#333333", "va": "bottom", "annotation_clip": False}
    ax.annotate(f"{g1} higher →", xy=(1.0, 1.0), xytext=(0, 10), ha="right", **kw)
    ax.annotate(f"← {g2} higher", xy=(0.0, 1.0), xytext=(0, 2), ha="left", **kw)


def _wrap_xlabels(axes: Mapping[Any, Any]) -> None:
    """Axis titles of side-by-side axes wrapped so that they do not run into each other."""
    import textwrap

    if len(axes) > 1:
        for ax in axes.values():
            ax.set_xlabel(textwrap.fill(ax.get_xlabel(), 28))


def _forest_label(r: Any, var_labels: Mapping[str, str], *, groups: bool,
                  with_when: bool = True, stratum_name: bool = True) -> str:
    """A forest row's name for a reader: outcome (and groups when they vary), stratum, year."""
    text = var_labels.get(r.outcome, r.outcome)
    if groups:
        text += f" ({r.group1} vs {r.group2})"
    if r.stratum:
        text += (f", {var_labels.get(r.stratum_var, r.stratum_var)} {r.stratum}"
                 if stratum_name else f" · {r.stratum}")
    if with_when:
        text += " · " + ("pooled" if r.scope == "pooled" else f"{int(r.year)}")
    return text


def _one_stratum_var(df: pd.DataFrame) -> str:
    """The stratum variable when every stratified row has the same one ("" otherwise)."""
    names = set(df.loc[df["stratum"] != "", "stratum_var"]) if not df.empty else set()
    return names.pop() if len(names) == 1 else ""


def _forest_what(df: pd.DataFrame) -> str:
    """What each axis of a forest plot shows, from the registry entries of the tests drawn."""
    if df.empty:
        return ""
    parts = []
    for scale, title, null in _forest_axis_keys(df):
        rows = df[(df["scale"] == scale) & (df["axis"] == title)]
        tests = [registry.REGISTRY[t] for t in dict.fromkeys(rows.sort_values(
            "_t", kind="stable")["test"]) if t in registry.REGISTRY]
        names = " and ".join(f"{e.forest.label} ({e.name})" for e in tests)
        parts.append(title + (f": {names}" if names else "")
                     + f" (no effect: {format_num(null, None)}, dashed line)")
    return "; ".join(parts)


def forest_figure(results: pd.DataFrame, hypothesis: str, *,
                  title: str | None = None,
                  var_labels: Mapping[str, str] | None = None) -> tuple[Any, str]:
    """Effect sizes with 95% CIs of one hypothesis, one row per spec x stratum x year/pooled.

    What each comparison draws comes from its test's registry entry (``forest``: statistic
    and fallbacks, scale, no-effect value, axis title, printed name): one axis per distinct
    (scale, axis title), log axes (e.g. odds ratios, Exp(B)) first, with 1-2-5 ticks printed
    as plain numbers. Rows are named by the outcome's label (``var_labels``), stratum and
    year; under each axis, which side means a larger value in which group. Not-estimable
    comparisons are rows labelled "not estimable"; pooled rows are diamonds.
    """
    df = _effect_rows(results, hypothesis)
    synthetic = _synthetic(results)
    vl = dict(var_labels or {})
    with _style() as plt:
        fig, axes = _forest_axes(plt, len(df), _forest_axis_keys(df))
        ypos = np.arange(len(df))[::-1].astype(float)
        colors = [PALETTE[int(o) % len(PALETTE)] for o in df.get("_o", [])]
        if not df.empty:
            _draw_forest(axes, df, ypos, colors)
            for (scale, _, null), ax in axes.items():
                _sides(ax, df, scale, null)
        _wrap_xlabels(axes)
        several = not df.empty and df[["group1", "group2"]].drop_duplicates().shape[0] > 1
        within = _one_stratum_var(df)
        labels = [_forest_label(r, vl, groups=several, stratum_name=not within)
                  + (f" ({r.label})" if r.status == "ok" and r.label else "")
                  for r in df.itertuples()]
        if len(set(labels)) < len(labels):  # two specs of one outcome: name their tests
            labels = [f"{lab} ({r.test})" for lab, r in zip(labels, df.itertuples(),
                                                             strict=True)]
        first = next(iter(axes.values()))
        first.set_yticks(ypos, labels)
        first.set_ylim(-0.8, len(df) - 0.2)
        fig.legend(handles=[plt.Line2D([], [], marker="o", ls="", color="black", label="year"),
                            plt.Line2D([], [], marker="D", ls="", color="black",
                                       label="pooled over years")],
                   loc="upper right", frameon=False, fontsize=7, ncol=2)
        fig.suptitle(title or f"{hypothesis}: effect sizes with 95% CIs by year and pooled"
                     + (f"\nwithin each level of {_lc(vl.get(within, within))}" if within
                        else ""), x=0.01, ha="left")
        fig.subplots_adjust(top=0.9)
        _mark(fig, synthetic)
        fig.tight_layout()
    n_ne = int((df["status"] != "ok").sum()) if not df.empty else 0
    what = _forest_what(df)
    caption = ((SYNTHETIC_CAPTION if synthetic else "")
               + f"Effect sizes of {hypothesis} with 95% confidence intervals, one row per "
               "outcome, stratum and year (circles) and the pooled scope over years "
               "(diamonds)" + (f"; {what}" if what else "") + ". Right of the dashed line the "
               "outcome is larger (or more likely) in the first group, left in the second. A "
               "row without a confidence interval in the results is a point; values beyond "
               "the axis are drawn at its edge."
               + (f" {n_ne} comparison(s) not estimable, labelled as such." if n_ne else ""))
    return fig, caption


def forest_samples_figure(results_by_sample: Mapping[str, pd.DataFrame], hypothesis: str,
                          var_labels: Mapping[str, str] | None = None) -> tuple[Any, str]:
    """Pooled-scope effect sizes of one hypothesis across samples (countries), with 95% CIs.

    One row per spec x stratum x sample (colour = sample); axes as in :func:`forest_figure`.
    """
    frames = [r for r in results_by_sample.values() if r is not None and len(r)]
    allres = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    df = _effect_rows(allres, hypothesis) if len(allres) else pd.DataFrame()
    if not df.empty:
        df = df[df["scope"] == "pooled"].reset_index(drop=True)
    samples = list(results_by_sample)
    synthetic = any(_synthetic(r) for r in frames)
    with _style() as plt:
        fig, axes = _forest_axes(plt, len(df), _forest_axis_keys(df))
        ypos = np.arange(len(df))[::-1].astype(float)
        colors = [PALETTE[samples.index(s) % len(PALETTE)] if s in samples else "black"
                  for s in df.get("sample", [])]
        if not df.empty:
            _draw_forest(axes, df, ypos, colors)
        vl = dict(var_labels or {})
        several = not df.empty and df[["group1", "group2"]].drop_duplicates().shape[0] > 1
        labels = [_forest_label(r, vl, groups=several, with_when=False) + f" · {r.sample}"
                  for r in df.itertuples()]
        if not df.empty:
            for (scale, _, null), ax in axes.items():
                _sides(ax, df, scale, null)
        _wrap_xlabels(axes)
        first = next(iter(axes.values()))
        first.set_yticks(ypos, labels)
        first.set_ylim(-0.8, len(df) - 0.2)
        handles = [plt.Line2D([], [], marker="D", ls="", color=PALETTE[i % len(PALETTE)],
                              label=s) for i, s in enumerate(samples)]
        fig.legend(handles=handles, title="Sample", loc="upper right", frameon=False,
                   bbox_to_anchor=(1.0, 0.95), fontsize=7)
        fig.suptitle(f"{hypothesis}: pooled effect sizes with 95% CIs by sample")
        _mark(fig, synthetic)
        fig.tight_layout(rect=(0, 0, 0.88, 1))
    what = _forest_what(df)
    caption = ((SYNTHETIC_CAPTION if synthetic else "")
               + f"Pooled-scope effect sizes of {hypothesis} across samples ("
               + ", ".join(samples) + ") with 95% confidence intervals (binary outcomes: "
               "firm-clustered logit with year dummies; metric outcomes: the comparison's test "
               "on firm means)" + (f": {what}" if what else "")
               + ". Not-estimable comparisons are labelled as such.")
    return fig, caption


# =========================================================================== render
def _specs_from_results(results: pd.DataFrame) -> list[dict[str, Any]]:
    """One entry per distinct (hypothesis, outcome, group, population, strata) in results."""
    seen: dict[tuple[str, ...], dict[str, Any]] = {}
    for _, r in results.drop_duplicates("spec_id").iterrows():
        key = (str(r["hypothesis"]), str(r["outcome"]), str(r["group_var"]),
               str(r["population"]), str(r["stratum_var"] or ""))
        if key not in seen:
            seen[key] = {"hypothesis": key[0], "spec_id": str(r["spec_id"]), "outcome": key[1],
                         "group_var": key[2], "groups": [str(r["group1"]), str(r["group2"])],
                         "population": key[3], "stratum_var": key[4]}
    return list(seen.values())


def _normalize(results: pd.DataFrame) -> pd.DataFrame:
    out = results.copy()
    for c in STAT_NUMERIC:
        if c in out:
            out[c] = pd.to_numeric(out[c].replace("", np.nan) if out[c].dtype == object
                                   else out[c], errors="coerce").astype(float)
    for c in ("stratum", "stratum_var", "population", "term", "status", "reason", "role",
              "statistic", "test", "spec_id", "hypothesis", "sample", "scope", "group1",
              "group2", "outcome", "group_var"):
        if c in out:
            col = out[c].astype(object)
            out[c] = col.where(col.notna(), "").astype(str)
    if "year" in out:
        y = out["year"]
        out["year"] = pd.to_numeric(y.replace("", np.nan) if y.dtype == object else y,
                                    errors="coerce").astype("Int64")
    return out


def _read(obj: pd.DataFrame | str | Path | None, kind: str) -> pd.DataFrame | None:
    if obj is None or isinstance(obj, pd.DataFrame):
        return obj
    path = Path(obj)
    if kind == "panel":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class _FigureTask:
    """One figure to draw: ``draw(*args, **kwargs)`` returns ``(figure, caption)``."""

    stem: str
    section: str
    draw: Callable[..., tuple[Any, str]]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    title_of_axes: bool = False


#: The figure tasks of the running :func:`_draw_all`, inherited by forked workers.
_TASKS: list[_FigureTask] = []
_TARGET: tuple[Path, tuple[str, ...]] = (Path("."), FORMATS)


def _draw_one(i: int) -> tuple[list[Path], str, str]:
    task = _TASKS[i]
    fig, cap = task.draw(*task.args, **task.kwargs)
    title = (fig.axes[0].get_title() or fig.get_suptitle()) if task.title_of_axes \
        else fig.get_suptitle()
    return save_figure(fig, task.stem, *_TARGET), cap, title


def _draw_all(tasks: list[_FigureTask], outdir: Path, formats: Sequence[str],
              processes: int) -> list[tuple[list[Path], str, str]]:
    """Draw and save every task, in order; in ``processes`` forked workers when above 1.

    Workers are forked so they share the parent's data without pickling it; the results
    come back in task order, so the manifest is the same for any number of processes.
    """
    global _TASKS, _TARGET
    _TASKS, _TARGET = tasks, (outdir, tuple(formats))
    try:
        if processes <= 1 or len(tasks) < 2:
            return [_draw_one(i) for i in range(len(tasks))]
        import multiprocessing

        # the forest plots have the most rows and take longest: started first, so that no
        # worker is left drawing one alone at the end; the results come back in task order
        order = sorted(range(len(tasks)), key=lambda i: (tasks[i].draw not in _HEAVY, i))
        with multiprocessing.get_context("fork").Pool(min(processes, len(tasks))) as pool:
            drawn = dict(zip(order, pool.map(_draw_one, order, chunksize=1), strict=True))
        return [drawn[i] for i in range(len(tasks))]
    finally:
        _TASKS = []


#: The figures drawn first by the workers of :func:`_draw_all` (the slowest to draw).
_HEAVY: tuple[Callable[..., tuple[Any, str]], ...] = (forest_samples_figure, forest_figure)


def render_figures(
    panel: pd.DataFrame | str | Path,
    results: pd.DataFrame | str | Path,
    normality: pd.DataFrame | str | Path | None,
    outdir: str | Path,
    codebook: Mapping[str, Any] | str | Path | None = None,
    *,
    samples: Mapping[str, pd.DataFrame | str | Path] | None = None,
    variables: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    formats: Sequence[str] = FORMATS,
    manifest: str | Path | None = None,
    processes: int = 1,
) -> list[tuple[Path, str]]:
    """Write every figure of one sample; return ``(path, caption)`` for every file written.

    Parameters
    ----------
    panel : DataFrame or parquet path
        The analysed panel of the sample.
    results : DataFrame or results.csv path
        The sample's results (which specs exist; CIs of shares; effect sizes).
    normality : DataFrame or normality.csv path, optional
        Statistics printed in the Q-Q panels; its variables are the Q-Q variables.
    outdir : path
        Output directory, e.g. ``reports/figures/{sample}``.
    codebook : dict or path, optional
        data/codebook.yaml, for axis labels and units.
    samples : mapping of sample name to results, optional
        With two or more samples, adds the cross-sample forest plot of every hypothesis.
    variables : sequence of str, optional
        Q-Q variables when ``normality`` is not given (default: the panel's metric outcomes
        of the specs).
    labels : mapping, optional
        Hypothesis id -> label, for the manifest sections (e.g. from verdicts.csv).
    formats : sequence of {"png", "svg", "pdf"}
        Default PNG only.
    manifest : path, optional
        Default ``outdir/manifest.json``: one entry per figure (sample, section, kind =
        "figure", title, path of the PNG, stem, caption), the format analysis/report.py reads.
    processes : int
        Figures drawn in parallel by this many forked worker processes (each figure is drawn
        whole by one worker, so the files are the same for any number).

    Returns
    -------
    list of (Path, str)
        Every file written with its figure's caption, in order.

    Notes
    -----
    One figure per distinct comparison design in the results (hypothesis x outcome x group x
    population x strata): ``{H}_{outcome}_by_{group}`` (binary: shares with CIs; metric:
    distributions) for unstratified specs, ``{H}_{outcome}_by_{group}_within_{strata}`` for
    stratified specs; ``qq_{variable}`` per normality variable; ``forest_{H}`` per
    hypothesis; ``forest_{H}_samples`` with several samples.
    """
    pan = _read(panel, "panel")
    res = _normalize(_read(results, "results"))
    sample = str(res["sample"].iloc[0]) if len(res) else ""
    norm = _read(normality, "normality")
    if isinstance(codebook, str | Path):
        import yaml

        with open(codebook, encoding="utf-8") as fh:
            codebook = yaml.safe_load(fh)
    labels = dict(labels or {})

    def section(h: str) -> str:
        return f"{h}: {labels[h]}" if h in labels else h

    outdir = Path(outdir)
    tasks: list[_FigureTask] = []

    def emit(stem: str, sec: str, draw: Callable[..., tuple[Any, str]], *args: Any,
             title_of_axes: bool = False, **kwargs: Any) -> None:
        tasks.append(_FigureTask(stem, sec, draw, args, kwargs, title_of_axes))

    for spec in _specs_from_results(res):
        out, g = spec["outcome"], spec["group_var"]
        if pan is None or out not in pan.columns or g not in pan.columns or pan[out].isna().all():
            continue
        h = spec["hypothesis"]
        common = {"groups": spec["groups"], "population": spec["population"],
                  "codebook": codebook}
        if spec["stratum_var"]:
            if spec["stratum_var"] not in pan.columns:
                continue
            emit(f"{h}_{out}_by_{g}_within_{spec['stratum_var']}", section(h), band_figure,
                 pan, out, g, spec["stratum_var"], title_of_axes=True, **common)
        elif _is_binary(pan[out]):
            emit(f"{h}_{out}_by_{g}", section(h), share_figure, pan, out, g, results=res,
                 spec_id=spec["spec_id"], title_of_axes=True, **common)
        else:
            emit(f"{h}_{out}_by_{g}", section(h), distribution_figure, pan, out, g,
                 title_of_axes=True, **common)
    if pan is not None and "size_group" in pan.columns:
        if norm is not None and len(norm):
            qq_vars = list(dict.fromkeys(norm["variable"].tolist()))
        else:
            qq_vars = list(variables or [])
        for v in qq_vars:
            if v in pan.columns and not pan[v].isna().all():
                emit(f"qq_{v}", "Normality", qq_figure, pan, v, "size_group", normality=norm,
                     codebook=codebook)
    var_labels = {str(v): _label(str(v), codebook, unit=False)
                  for c in ("outcome", "group_var", "stratum_var") if c in res
                  for v in res[c].unique() if str(v)}
    for h in dict.fromkeys(res["hypothesis"].tolist()):
        emit(f"forest_{h}", section(h), forest_figure, res, h, var_labels=var_labels)
    if samples is not None and len(samples) > 1:
        frames = {k: _normalize(_read(v, "results")) for k, v in samples.items()}
        hyps = dict.fromkeys(h for f in frames.values() for h in f["hypothesis"].tolist())
        for h in hyps:
            emit(f"forest_{h}_samples", "Across samples", forest_samples_figure, frames, h,
                 var_labels=var_labels)

    written: list[tuple[Path, str]] = []
    entries: list[dict[str, Any]] = []
    for task, (paths, cap, title) in zip(tasks, _draw_all(tasks, outdir, formats, processes),
                                         strict=True):
        written.extend((p, cap) for p in paths)
        main = next((p for p in paths if p.suffix == ".png"), paths[0])
        entries.append({"sample": sample, "section": task.section, "kind": "figure",
                        "title": title, "path": str(main), "stem": task.stem, "caption": cap})
    mpath = Path(manifest) if manifest is not None else outdir / "manifest.json"
    mpath.parent.mkdir(parents=True, exist_ok=True)
    with mpath.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(entries, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return written


def run_figures(*, panel: str, results: str, normality: str, codebook: str, outdir: str,
                samples: Sequence[str] = (), formats: Sequence[str] = FORMATS,
                processes: int = 1) -> list[tuple[Path, str]]:
    """Stage ``figures``: every figure of one sample (and cross-sample forest plots).

    Reads exactly the files the rule declares: the sample's ``panel``, ``results`` and
    ``normality``, the ``codebook`` and, for the pooled sample, the ``samples``' results.csv
    files (a missing file is an error).
    """
    import logging

    from analysis.render.table import read_sample_results

    cross = read_sample_results(samples)
    written = render_figures(panel, results, normality, outdir, codebook,
                             samples=cross if len(cross) > 1 else None, formats=formats,
                             processes=processes)
    logging.getLogger(__name__).info("%d files written to %s", len(written), outdir)
    return written
