"""The report section "How much to believe each verdict" and the specification-curve figures.

Reads only the CSV files of ``results/believe/`` (written by the believe stages); formats with
:mod:`analysis.render.format`. The section is written as an HTML fragment that the report
embeds; the figures are PNG and SVG files beside it.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.render.figures import SYNTHETIC_CAPTION, _mark, _style, save_figure
from analysis.render.format import format_num, format_p

TITLE = "How much to believe each verdict"
CHOICE_LABELS = {"size_definition": "size definition", "size_status": "size status",
                 "doi_cuts": "band cut-offs (%)", "exporters_only": "exporters only",
                 "test_family": "test family", "binary_test": "binary test",
                 "rule": "verdict rule", "alpha": "alpha"}


def _pct(x: Any) -> str:
    s = format_num(100 * float(x), 0) if pd.notna(x) else ""
    return f"{s}%" if s else "n/a"


def _pct1(x: Any) -> str:
    """A proportion as a percentage with one decimal (small shares of joint outcomes)."""
    s = format_num(100 * float(x), 1) if x is not None and pd.notna(x) else ""
    return f"{s}%" if s else "n/a"


def _rate_ci(rate: Any, lo: Any, hi: Any) -> str:
    if pd.isna(rate):
        return "n/a"
    return f"{_pct(rate)} ({_pct(lo)}–{_pct(hi)})"


def _table(header: list[str], rows: list[list[str]], caption: str = "") -> str:
    esc = html.escape
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def speccurve_figure(curve: pd.DataFrame, hypothesis: str, *, synthetic: bool) -> tuple[Any, str]:
    """The specification curve of one hypothesis: each specification's estimate (the headline
    comparison's pooled test as a signed z, positive = the expected direction) with its 95%
    band, sorted, filled when the specification supports the hypothesis; beneath, the choices
    each specification makes."""
    c = curve[curve["hypothesis"] == hypothesis].copy()
    names = [n for n in CHOICE_LABELS if n in c and c[n].nunique() > 1]
    c["_z"] = c["estimate"].astype(float)
    c = c.sort_values(["_z", *names], kind="stable", na_position="first").reset_index(drop=True)
    x = np.arange(len(c))
    sup = c["supported"].astype(str).eq("True").to_numpy()
    rows = [(n, str(v)) for n in names for v in pd.unique(c[n].astype(str))]
    with _style() as plt:
        fig, (top, bottom) = plt.subplots(
            2, 1, figsize=(7.5, 3.2 + 0.16 * len(rows)), sharex=True,
            gridspec_kw={"height_ratios": [3, max(1.5, 0.16 * len(rows) * 1.6)]})
        z = c["_z"].to_numpy(dtype=float)
        top.fill_between(x, z - 1.96, z + 1.96, color="#1b6ca8", alpha=0.15, linewidth=0)
        top.scatter(x[sup], z[sup], s=8, color="#1b6ca8", label="supports the hypothesis")
        top.scatter(x[~sup], z[~sup], s=8, facecolors="white", edgecolors="#d1495b",
                    linewidths=0.6, label="does not support it")
        top.axhline(0, color="#5c5c5c", linewidth=0.6)
        top.axhline(1.96, color="#5c5c5c", linewidth=0.6, linestyle=":")
        top.set_ylabel("signed z of the headline\ncomparison (pooled test)")
        top.legend(loc="upper left", frameon=False)
        top.set_title(f"{hypothesis}: {len(c)} specifications, "
                      f"{format_num(100 * sup.mean(), 0)}% support")
        for i, (n, v) in enumerate(rows):
            on = (c[n].astype(str) == v).to_numpy()
            bottom.scatter(x[on], np.full(on.sum(), -i), s=3, marker="s", color="#333333")
        bottom.set_yticks([-i for i in range(len(rows))])
        bottom.set_yticklabels([f"{CHOICE_LABELS[n]}: {v}" for n, v in rows])
        bottom.set_ylim(-len(rows) + 0.5, 0.5)
        bottom.set_xlabel("specifications, sorted by estimate")
        fig.tight_layout()
        _mark(fig, synthetic)
    caption = ((SYNTHETIC_CAPTION if synthetic else "")
               + f"Specification curve of {hypothesis}: each point is one combination of the "
               "choices listed beneath; the band is the estimate +- 1.96 (z scale); the dotted "
               "line is z = 1.96.")
    return fig, caption


def _pattern_html(indir: Path, read: Any) -> str:
    """The study's pattern as a joint outcome of the reproduce draws: a paragraph per parameter
    file, the most frequent joint outcomes, every component's values, and whether the
    generator's parameters are the calibration's result."""
    import json

    parts = []
    record_path = indir / "summary.json"
    record = (json.loads(record_path.read_text(encoding="utf-8"))
              if record_path.exists() else {})
    labels = {c: v.get("label", c) for pat in (record.get("pattern") or {}).values()
              for c, v in pat.get("components", {}).items()}
    names = {"current": "the calibrated parameters (config/synthetic.yaml)",
             "reference": "the parameters before calibration"}
    for which, pat in (record.get("pattern") or {}).items():
        parts.append(f"<p><b>Under {html.escape(names.get(which, which))}.</b> "
                     + pattern_sentence(pat) + "</p>")
    cal = record.get("calibration")
    if cal:
        parts.append(
            "<p>" + (f"<code>{html.escape(cal['parameters'])}</code> holds the calibration's "
                     "result (the search from <code>"
                     f"{html.escape(cal['start'])}</code>)." if cal["is_calibration_result"]
                     else f"<b><code>{html.escape(cal['parameters'])}</code> is not the "
                     "calibration's result</b>: it differs in "
                     + html.escape(", ".join(cal["differences"]))
                     + " (results/believe/calibrated_synthetic.yaml has the search's "
                     "values).") + "</p>")
    rep = read("reproduce.csv") if (indir / "reproduce.csv").exists() else pd.DataFrame()
    if len(rep):
        rows = []
        for comp, g in rep.groupby("component", sort=False):
            label = g["label"].iloc[0] if "label" in g else comp
            rows.append([label, *[_rate_ci(x.rate, x.ci_low, x.ci_high)
                                  for x in g.itertuples(index=False)]])
        heads = list(dict.fromkeys(rep["parameters"]))
        parts.append(_table(["part of the study's pattern",
                             *[f"P under {h} parameters" for h in heads]], rows,
                            "How often one synthetic draw shows each part of the pattern the "
                            "study reports (its value in the study's), Table 2, the whole "
                            "pattern and each Table 2 verdict"))
    path = indir / "reproduce_joint.csv"
    if path.exists():
        joint = read("reproduce_joint.csv")
        comps = [c for c in labels if c in joint]
        for which, g in joint.groupby("parameters", sort=False):
            study = g[g["is_study"].astype(str) == "True"]
            ref = study.iloc[0] if len(study) else None
            rows = []
            for r in g.head(11).itertuples(index=False):
                d = r._asdict()
                differs = ("the study's pattern" if str(d["is_study"]) == "True" else
                           "; ".join(f"{labels[c]}: {d[c]}" for c in comps
                                     if ref is None or d[c] != ref[c]))
                rows.append(["–" if pd.isna(d["rank"]) else int(d["rank"]),
                             f"{_pct1(d['share'])} ({_pct1(d['ci_low'])}–"
                             f"{_pct1(d['ci_high'])})", int(d["count"]), differs])
            parts.append(_table(["rank", "share of draws", "draws",
                                 "outcome (where it differs from the study's pattern)"], rows,
                                f"The most frequent joint outcomes under the {which} "
                                f"parameters ({int(g['replications'].iloc[0])} draws; tied "
                                "outcomes share a rank)"))
    path = indir / "reproduce_outcomes.csv"
    if path.exists():
        oc = read("reproduce_outcomes.csv")
        for which, g in oc.groupby("parameters", sort=False):
            rows = []
            for comp, h in g.groupby("component", sort=False):
                mine = h[h["is_study"].astype(str) == "True"]
                top = h.iloc[0]
                rows.append([h["label"].iloc[0] if "label" in h else comp,
                             str(mine["value"].iloc[0]) if len(mine) else "",
                             _rate_ci(mine["share"].iloc[0], mine["ci_low"].iloc[0],
                                      mine["ci_high"].iloc[0]) if len(mine) else "0%",
                             f"{top['value']} ({_pct(top['share'])})",
                             "yes" if len(mine) and str(mine["modal"].iloc[0]) == "True"
                             else "NO"])
            parts.append(_table(["component", "the study's value", "its share",
                                 "most frequent value", "the study's is the most frequent"],
                                rows, f"Each component of the pattern under the {which} "
                                "parameters"))
    return "\n".join(parts)


def _img(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption[:120])}" src="data:image/png;base64,'
            f'{data}"><figcaption>{html.escape(caption)}</figcaption></figure>')


def believe_section(indir: str | Path, figdir: str | Path, specs: dict[str, Any],
                    formats: tuple[str, ...] = ("png",)) -> str:
    """The HTML of the section, from the CSV files in ``indir``; writes the figures to
    ``figdir`` in ``formats`` (PNG always: the report embeds it)."""
    indir, figdir = Path(indir), Path(figdir)
    esc = html.escape

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(indir / name, keep_default_na=False, na_values=[""])

    summary = read("details.csv")
    synthetic = bool(summary["synthetic"].astype(str).eq("True").any())
    rule = summary["rule"].iloc[0] if len(summary) else specs["default_rule"]
    parts = []
    if synthetic:
        parts.append("<p><b>SYNTHETIC DATA.</b> Every rate below describes the synthetic "
                     "process and the synthetic panels, not the study's firms.</p>")
    parts.append(
        "<p>Each verdict is only as good as the decision rule that produced it. This section "
        "runs the whole rule (normality pretest, test, verdict rule) thousands of times: under "
        "no effect (the generator with its group effects set to 0, and the analysed panel with "
        "its group labels permuted between firms within country), under effects of known size, "
        "and over a grid of defensible analysis choices. Intervals are 95% Monte-Carlo "
        "intervals (Wilson).</p>")
    rows = []
    for r in summary.itertuples(index=False):
        rows.append([r.hypothesis, r.study_verdict, r.verdict or "n/a", _pct(r.power),
                     _pct(r.false_support_rate), _pct(r.false_support_panel),
                     format_num(r.mde_factor, 2, na="beyond the grid"),
                     _pct(r.spec_curve_support), format_p(r.spec_curve_joint_p, na="n/a"),
                     _pct(r.p_reproduce_study)])
    parts.append(_table(
        ["hypothesis", "study", f"this run ({rule})", "power (57 vs 57)",
         "false support, generator null", "false support, permuted panel",
         "MDE (x generator effects)", "spec-curve support", "joint test p",
         "P(study's verdict)"], rows,
        f"Per hypothesis, rule {rule}: power = P(Supported) under the generator's effects "
        "at the study's n; false support = P(Supported) under no effect; MDE = smallest "
        "multiple of the generator's effects with 80% power; P(study's verdict) = how often "
        "a draw from config/synthetic.yaml gives the study's Table 2 verdict."))
    if len(summary):
        s0 = summary.iloc[0]
        parts.append(f"<p>Probability that one draw reproduces the study's Table 2 (all five "
                     f"verdicts, rule study): <b>{_pct(s0['p_reproduce_table2'])}</b>; the "
                     f"whole reported pattern (Table 2, the per-year significance of H1-H3, H4 "
                     f"most evident at a high degree, TQM and JIT, the S1 differences, "
                     f"non-normal metric variables): <b>{_pct(s0['p_reproduce_pattern'])}</b>."
                     "</p>")

    # verdict rules under no effect
    nv = read("null_verdicts.csv")
    rules = list(dict.fromkeys(nv["rule"]))
    for source, label in (("generator", "the generator with no effect"),
                          ("panel", "the analysed panel, group labels permuted")):
        sub = nv[(nv["source"] == source) & (nv["family"] == "auto")]
        if sub.empty:
            continue
        rows = []
        for h, g in sub.groupby("hypothesis", sort=False):
            byr = g.set_index("rule")
            rows.append([h, *[_rate_ci(byr.loc[r, "rate"], byr.loc[r, "ci_low"],
                                       byr.loc[r, "ci_high"]) if r in byr.index else "n/a"
                              for r in rules]])
        n = int(sub["replications"].max())
        parts.append(_table(["hypothesis", *rules], rows,
                            f"P(Supported) under no effect ({label}; {n} replications), "
                            "by verdict rule"))
    fam = nv[(nv["source"] == "generator") & (nv["rule"] == rule)]
    if fam["family"].nunique() > 1:
        rows = []
        families = list(dict.fromkeys(fam["family"]))
        for h, g in fam.groupby("hypothesis", sort=False):
            byf = g.set_index("family")
            if len(byf) < len(families):
                continue
            rows.append([h, *[_rate_ci(byf.loc[f, "rate"], byf.loc[f, "ci_low"],
                                       byf.loc[f, "ci_high"]) for f in families]])
        parts.append(_table(["hypothesis", *families], rows,
                            f"P(Supported) under no effect (generator), rule {rule}: the "
                            "normality pretest (auto) beside always-nonparametric and "
                            "always-parametric"))
    rates = read("null_rates.csv")
    r_auto = rates[rates["family"].isin(["auto", "nonparametric", "parametric"])]
    flagged = r_auto[r_auto["outside"].astype(str).eq("True")]
    parts.append(f"<p>Rejection rates of single comparisons at alpha: {len(r_auto)} "
                 f"(source, family, comparison) cells, {len(flagged)} outside the interval "
                 "expected for an exact test (all in "
                 "<code>results/believe/null_rates.csv</code>).</p>")
    if len(flagged):
        rows = [[r.source, r.family, r.spec_id, r.scope, "" if pd.isna(r.year) else int(r.year),
                 r.stratum if isinstance(r.stratum, str) else "",
                 _rate_ci(r.rate, r.ci_low, r.ci_high),
                 f"{_pct(r.expected_low)}–{_pct(r.expected_high)}"]
                for r in flagged.head(30).itertuples(index=False)]
        parts.append(_table(["source", "family", "spec", "scope", "year", "stratum",
                             "rejection rate", "expected"], rows,
                            "Comparisons whose rejection rate under no effect is outside "
                            "its Monte-Carlo interval (first 30)"))

    # power
    pv = read("power_verdicts.csv")
    pv = pv[(pv["design"] == "study") & (pv["rule"] == rule)]
    factors = sorted(pv["factor"].unique())
    rows = [[h, *[_pct(g.set_index("factor").loc[f, "rate"]) for f in factors]]
            for h, g in pv.groupby("hypothesis", sort=False)]
    parts.append(_table(["hypothesis", *[f"x{format_num(f, None)}" for f in factors]], rows,
                        f"Power of rule {rule} at the study's n (57 vs 57, three years) over "
                        "multiples of the generator's effects (x0 = no effect)"))
    ana = read("analytic_power.csv")
    rows = [[r.test, format_num(r.effect, 2), r.effect_measure, format_num(r.simulated, 3),
             format_num(r.analytic, 3), "yes" if str(r.within_3se) == "True" else "NO"]
            for r in ana.itertuples(index=False)]
    parts.append(_table(["test", "effect", "measure", "simulated", "analytic (pingouin)",
                         "within 3 MC s.e."], rows,
                        "Two-group tests at 57 vs 57: simulated power against analytic power"))

    # calibration: the study's pattern as a joint outcome, per component, the search
    parts.append(_pattern_html(indir, read))
    cal_path = indir / "calibration.csv"
    if cal_path.exists():
        cal = pd.read_csv(cal_path, keep_default_na=False)
        rows = [[r.step, r.parameters, r.candidate, r.components,
                 f"{r.modal} of {r.of}" if "modal" in cal else "", _pct(r.rate),
                 int(r.replications), "chosen" if str(r.chosen) == "True" else ""]
                for r in cal.itertuples(index=False)]
        parts.append(_table(["step", "parameter", "candidate", "components",
                             "study's value modal", "all shown", "draws", ""], rows,
                            "Calibration search from the parameters before calibration "
                            "(coordinate search over the candidates of config/believe.yaml, "
                            "in order; each step keeps the candidate under which most of its "
                            "components have the study's value as their most frequent value, "
                            "then the one under which all are most often shown; the same "
                            "draws for every candidate)"))

    # specification curve
    curve = read("speccurve.csv")
    fl = read("flips.csv")
    jt = read("joint_tests.csv")
    for h in pd.unique(curve["hypothesis"]):
        fig, cap = speccurve_figure(curve, h, synthetic=synthetic)
        paths = save_figure(fig, f"speccurve_{h}", figdir,
                            ("png", *[f for f in formats if f != "png"]))
        parts.append(f"<h3>{esc(h)}: specification curve</h3>")
        parts.append(_img(paths[0], cap))
        f = fl[(fl["hypothesis"] == h) & fl["flips"].astype(str).eq("True")]
        if len(f):
            rows = [[CHOICE_LABELS.get(r.choice, r.choice), f"{r.baseline_value} -> {r.value}",
                     f"{r.baseline_verdict} -> {r.verdict}", _pct(r.support_share)]
                    for r in f.itertuples(index=False)]
            parts.append(_table(["choice", "change from the configured analysis",
                                 "verdict", "support share with that value"], rows,
                                f"{h}: single changes that flip the verdict"))
        else:
            parts.append("<p>No single change of one choice flips the verdict.</p>")
        j = jt[jt["hypothesis"] == h]
        if len(j):
            rows = [[r.statistic, format_num(r.observed, 3), format_num(r.null_median, 3),
                     format_p(r.p), int(r.permutations)] for r in j.itertuples(index=False)]
            parts.append(_table(["statistic", "observed", "median under the null", "p",
                                 "permutations"], rows,
                                f"{h}: joint test of the curve (group labels permuted "
                                "between firms within country)"))

    boot = read("bootstrap.csv")
    b = boot[boot["scope"] == "pooled"]
    rows = [[r.spec_id, r.stratum if isinstance(r.stratum, str) else "", r.effect_statistic,
             format_num(r.effect, 3), f"{format_num(r.boot_low, 3)} to "
             f"{format_num(r.boot_high, 3)}"] for r in b.itertuples(index=False)]
    parts.append(_table(["comparison", "stratum", "effect", "estimate",
                         "firm-level bootstrap interval"], rows,
                        "Pooled effects with percentile intervals from resampling firms "
                        "(with all their years) within country"))
    return "\n".join(parts)


def believe_page(fragment: str, *, synthetic: bool) -> str:
    """The section as a page of its own (``reports/believe.html``), styled as the report."""
    from analysis.render.report import html_page

    banner = ('<p class="banner">SYNTHETIC DATA. The panels behind these simulations were '
              "generated by a seeded process with the study's design; they are not the study's "
              "microdata.</p>" if synthetic else "")
    return html_page("How much to believe each verdict", (
        '<h1>How much to believe each verdict</h1>\n<p class="note">Beside '
        '<a href="report.html">report.html</a>; made by <code>snakemake --cores 2 '
        "believe</code> from <code>config/believe.yaml</code> "
        "(workflow/rules/believe.smk).</p>\n"
        f"{banner}\n{fragment}"))


def run_believe_render(*, indir: str, specs_path: str, out_html: str, figdir: str,
                       formats: list[str] | None = None, synthetic: bool = True) -> None:
    """Stage ``believe_render``: the page "How much to believe each verdict" and its figures."""
    from analysis.config import load_yaml

    text = believe_section(indir, figdir, load_yaml(specs_path), tuple(formats or ("png",)))
    Path(out_html).parent.mkdir(parents=True, exist_ok=True)
    Path(out_html).write_text(believe_page(text, synthetic=synthetic), encoding="utf-8")


# --------------------------------------------------------------------------- in the report
#: Where the report links to the detailed page (beside it).
PAGE = "believe.html"
RECOMPUTE = ("<code>snakemake --cores 2 believe</code> (a few minutes), then "
             "<code>sme-intl believe --publish</code> (copies <code>results/believe/"
             "summary.csv</code> and <code>summary.json</code> to the published location), "
             "then <code>snakemake --cores 2</code> for the report")


def _interval(x: Any, lo: Any, hi: Any) -> str:
    if x is None or pd.isna(x):
        return "n/a"
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return _pct(x)
    return f"{_pct(x)} ({_pct(lo)}–{_pct(hi)})"


def pattern_sentence(pattern: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """One paragraph (HTML) on the study's whole pattern as a joint outcome of ``pattern``'s
    draws: its share with its Monte-Carlo interval, whether it is the single most frequent
    joint outcome, the runner-up, and per component whether the study's value is the most
    frequent value."""
    esc = html.escape
    n, rank = pattern["replications"], pattern.get("rank")
    comps = pattern.get("components", {})
    labels = labels or {c: v.get("label", c) for c, v in comps.items()}
    modal = [c for c, v in comps.items() if v["modal"]]
    share = f"{_pct1(pattern['share'])} ({_pct1(pattern['ci_low'])}–{_pct1(pattern['ci_high'])})"
    out = (f"The study's whole pattern (Table 2 and the text: {len(comps)} components) came "
           f"out in {pattern['count']} of {n} draws from <code>{esc(pattern['file'])}</code>: "
           f"{share}, among {pattern['distinct_outcomes']} distinct joint outcomes. ")
    runner = pattern.get("runner_up") or {}
    if pattern["modal"]:
        out += ("It is the <b>single most frequent joint outcome</b>; the next most frequent ("
                + esc(", ".join(f"{labels.get(c, c)}: {v}" for c, v in
                                runner.get("values", {}).items()) or "none")
                + f") came out in {_pct1(runner.get('share'))}"
                + (", a difference beyond twice its Monte-Carlo standard error. "
                   if pattern.get("difference_beyond_mc_error") else
                   ", a difference within twice its Monte-Carlo standard error: more draws "
                   "would be needed to call the mode firmly. "))
    else:
        where = (f"rank {rank}" if rank is not None else "it came out in no draw")
        out += (f"It is <b>not</b> the most frequent joint outcome ({where}); the most "
                "frequent differs in "
                + esc("; ".join(f"{labels.get(c, c)}: {v}" for c, v in
                                runner.get("values", {}).items()) or "nothing")
                + f" and came out in {_pct1(runner.get('share'))}"
                + (", beyond twice the Monte-Carlo standard error of the difference. "
                   if pattern.get("difference_beyond_mc_error") else
                   ", within twice the Monte-Carlo standard error of the difference. "))
    out += (f"For {len(modal)} of {len(comps)} components the study's value is the most "
            "frequent value" + ("." if len(modal) == len(comps) else
                                " (not for " + esc(", ".join(labels.get(c, c) for c in comps
                                                              if c not in modal)) + ")."))
    return out


def report_section(record: dict[str, Any], *, page: str = PAGE) -> str:
    """The section "How much to believe each verdict" of the report, from the record of the
    stage ``believe_published`` (:func:`analysis.believe.publish.run_check_published`).

    Current results: per hypothesis the verdict, its power, the false-support rate of its
    rule, its specification-curve support share and the probability of reproducing the
    study's verdict, with Monte-Carlo intervals, and the study's whole pattern as a joint
    outcome. Results for other inputs, or none: says so, and how to compute and publish them;
    no number is shown.
    """
    esc = html.escape
    status = record.get("status")
    path = esc(record.get("path") or "")
    link = (f'<p class="note">Every simulation behind these numbers (null rejection rates, '
            f"power curves, the calibration, the specification curves, bootstrap intervals): "
            f'<a href="{esc(page)}">{esc(page)}</a>.</p>')
    if status == "off":
        return ("<p>Switched off: the configuration publishes no believe results "
                "(<code>believe_results: null</code>). To show them: set "
                "<code>believe_results: data/believe/summary.csv</code> and run "
                f"{RECOMPUTE}.</p>")
    if status == "absent":
        return (f"<p>No believe results are published at <code>{path}</code>. To compute and "
                f"publish them: {RECOMPUTE}.</p>")
    if status != "current":
        diff = record.get("differences") or []
        return ("<p><b>Not shown: the published believe results "
                f"(<code>{path}</code>) were computed from other inputs than this run's</b> "
                "(" + esc("; ".join(diff[:8])) + ("; ..." if len(diff) > 8 else "")
                + "), so their power, false-support rates, specification curves and "
                "probabilities do not describe this run, and Table 2 carries no believe "
                f"columns. To compute them for these inputs: {RECOMPUTE}.</p>")
    rows = record.get("summary") or []
    side = record.get("sidecar") or {}
    synthetic = any(str(r.get("synthetic")) == "True" for r in rows)
    rule = rows[0]["rule"] if rows else side.get("rule", "study")
    reps = side.get("replications", {})
    body = []
    if synthetic:
        body.append("<p><b>SYNTHETIC DATA.</b> These rates describe the synthetic process "
                    "and panels, not the study's firms.</p>")
    body.append(
        "<p>Each verdict is only as good as the decision rule behind it (normality pretest, "
        "test, verdict rule) at this sample size. By simulation "
        f"({reps.get('power', '?')} draws per power estimate, {reps.get('no_effect', '?')} "
        f"under no effect, {reps.get('reproduce', '?')} from the calibrated generator; 95% "
        "Monte-Carlo intervals in brackets): the <i>power</i> is P(Supported) under the "
        "generator's effects at the study's n (57 vs 57 firms, three years); the "
        "<i>false support</i> P(Supported) when the generator has no effect; the "
        "<i>specification-curve support</i> the share of defensible analyses (size "
        "definition, bands, test family, verdict rule, alpha, ...) that support the "
        "hypothesis on this panel; <i>P(study's verdict)</i> how often one draw from the "
        "calibrated generator gives the study's Table 2 verdict.</p>")
    trs = []
    for r in rows:
        trs.append([
            f"{r['hypothesis']} {r.get('label', '')}", r.get("study_verdict", ""),
            r.get("verdict") or "n/a",
            _interval(r.get("power"), r.get("power_low"), r.get("power_high")),
            _interval(r.get("false_support_rate"), r.get("false_support_low"),
                      r.get("false_support_high")),
            (_pct(r.get("spec_curve_support"))
             + (f" of {int(r['spec_curve_specifications'])}"
                if pd.notna(r.get("spec_curve_specifications")) else "")
             if pd.notna(r.get("spec_curve_support")) else "n/a"),
            _interval(r.get("p_reproduce_study"), r.get("p_reproduce_low"),
                      r.get("p_reproduce_high"))])
    body.append(_table(["Hypothesis", "Study", f"This run ({rule})", "Power (57 vs 57)",
                        "False support, no effect", "Specifications supporting",
                        "P(study's verdict)"], trs,
                       f"How much to believe each verdict (rule {rule}; published "
                       f"{record.get('path', '')})"))
    cur = (side.get("pattern") or {}).get("current")
    if cur:
        t2 = side.get("p_reproduce_table2")
        ci = side.get("table2_interval") or [None, None]
        body.append("<p>" + pattern_sentence(cur) + " All five Table 2 verdicts as the study's: "
                    f"{_interval(t2, ci[0], ci[1])}.</p>")
    return "\n".join(body) + link
