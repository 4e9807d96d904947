"""Figures from a small hand-made panel and results frame: content, captions, determinism."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from analysis.columns import RESULT_COLUMNS
from analysis.render import figures as pl

NAN = math.nan
CODEBOOK = {"variables": {
    "export_share": {"type": "number", "unit": "% of annual sales",
                     "label": "Export share (% of sales)"},
    "rota": {"type": "number", "unit": "% (net income / total assets)", "label": "ROTA (%)"},
    "mgmt_trained": {"type": "boolean", "label": "Management has professional training"},
}}


def _panel(synthetic: bool = True) -> pd.DataFrame:
    """12 firms (6 SMEs) over 2 years; shares and values fixed by formula (no randomness)."""
    rows = []
    for f in range(12):
        for year in (2015, 2016):
            sme = f < 6
            share = 0.0 if f % 3 == 0 else float(5 + 7 * f + 3 * (year - 2015))
            rows.append({"firm_id": f"F{f:02d}", "country": "Ghana", "year": year,
                         "size_group": "SME" if sme else "non-SME", "export_share": share,
                         "internationalized": share > 0, "rota": float((f * 37) % 11 - 3),
                         "mgmt_trained": (f + year) % 2 == 0, "synthetic": synthetic})
    df = pd.DataFrame(rows)
    df["size_group"] = pd.Categorical(df["size_group"], categories=["SME", "non-SME"])
    for c in ("internationalized", "mgmt_trained"):
        df[c] = df[c].astype("boolean")
    bands = np.select([df["export_share"] == 0, df["export_share"] <= 40], ["none", "low"],
                      "high")
    df["doi_band"] = pd.Categorical(bands, categories=["none", "low", "high"], ordered=True)
    return df


def _row(ctx: dict, statistic: str, value: float = NAN, term: str = "", lo: float = NAN,
         hi: float = NAN, role: str = "detail", status: str = "ok", reason: str = "",
         p: float = NAN) -> dict:
    return ctx | {"statistic": statistic, "term": term, "value": value, "df": NAN, "p": p,
                  "ci_low": lo, "ci_high": hi, "status": status, "reason": reason,
                  "role": role, "p_holm": NAN, "p_bh": NAN}


def _ctx(spec: str, hyp: str, test: str, outcome: str, year: int | None, stratum: str = "",
         synthetic: bool = True) -> dict:
    return {"sample": "all", "hypothesis": hyp, "spec_id": spec, "verdict_role": "primary",
            "scope": "year" if year else "pooled", "year": year,
            "stratum_var": "doi_band" if stratum else "", "stratum": stratum,
            "outcome": outcome, "group_var": "size_group", "group1": "SME",
            "group2": "non-SME", "population": "all firms", "test": test, "test_reason": "",
            "n_total": 12, "n_group1": 6, "n_group2": 6, "expected_direction": "negative",
            "observed_direction": "negative", "synthetic": synthetic}


def _results(synthetic: bool = True) -> pd.DataFrame:
    rows = []
    for year, (p_sme, p_non) in ((2015, (0.40, 0.55)), (2016, (0.45, 0.60))):
        c = _ctx("H1_crosstab", "H1", "crosstab", "internationalized", year,
                 synthetic=synthetic)
        rows += [_row(c, "pearson_chi2", 1.2, role="test", p=0.27),
                 _row(c, "phi", -0.1, role="effect"),
                 _row(c, "proportion", p_sme, "SME", p_sme - 0.2, p_sme + 0.2),
                 _row(c, "proportion", p_non, "non-SME", p_non - 0.2, p_non + 0.2),
                 _row(c, "odds_ratio", 0.5 if year == 2015 else 0.8, "SME vs non-SME", 0.2,
                      1.9)]
    c = _ctx("H1_crosstab", "H1", "logit", "internationalized", None, synthetic=synthetic)
    rows += [_row(c, "wald", 2.0, "is_SME", role="test", p=0.15),
             _row(c, "exp_b", 0.6, "is_SME", 0.3, 1.2, role="effect")]
    c = _ctx("H2_export_share", "H2", "mann_whitney", "export_share", 2015,
             synthetic=synthetic)
    rows += [_row(c, "z", -1.5, role="test", p=0.13), _row(c, "r", -0.31, role="effect")]
    c = _ctx("H4_training", "H4", "crosstab", "mgmt_trained", 2015, "high",
             synthetic=synthetic)
    rows += [_row(c, "pearson_chi2", role="test", status="not estimable",
                  reason="outcome 'mgmt_trained' has a single value (True) in this subset")]
    df = pd.DataFrame(rows)
    df["year"] = df["year"].astype("Int64")
    return df[RESULT_COLUMNS]


def _normality() -> pd.DataFrame:
    rows = []
    for year in (2015, 2016):
        for g in ("SME", "non-SME"):
            for test, stat, p in (("ks_lilliefors", 0.21, 0.35),
                                  ("shapiro_wilk", 0.93, 0.012)):
                rows.append({"breakdown": "year x size_group", "year": float(year),
                             "size_group": g, "variable": "export_share", "test": test,
                             "statistic": stat, "df": 6.0, "p": p,
                             "lower_bound": test == "ks_lilliefors", "alpha": 0.05,
                             "decision": "normal", "status": "ok", "reason": "",
                             "synthetic": True})
    return pd.DataFrame(rows)


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.texts] + [t.get_text() for ax in fig.axes
                                                 for t in ax.texts]


# --------------------------------------------------------------------------- content
def test_share_figure_uses_results_proportions() -> None:
    import matplotlib.pyplot as plt

    fig, caption = pl.share_figure(_panel(), results=_results(), groups=["SME", "non-SME"],
                                   codebook=CODEBOOK)
    ax = fig.axes[0]
    sme, non = (c.lines[0].get_ydata() for c in ax.containers)  # one errorbar per group
    assert list(sme) == pytest.approx([40.0, 45.0])  # the results' numbers, not the panel's
    assert list(non) == pytest.approx([55.0, 60.0])
    assert ax.get_xlabel() == "Year" and "(%)" in ax.get_ylabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["SME (n = 12 firm-years)", "non-SME (n = 12 firm-years)"]
    assert "proportion rows of H1_crosstab" in caption
    assert caption.startswith("Synthetic data")
    assert "SYNTHETIC DATA" in _texts(fig)
    plt.close(fig)


def test_share_figure_falls_back_to_panel() -> None:
    import matplotlib.pyplot as plt

    panel = _panel(synthetic=False)
    fig, caption = pl.share_figure(panel, results=None, groups=["SME", "non-SME"])
    expected = [100 * panel[(panel["year"] == y) & (panel["size_group"] == "SME")]
                ["internationalized"].mean() for y in (2015, 2016)]
    assert list(fig.axes[0].containers[0].lines[0].get_ydata()) == pytest.approx(expected)
    assert "(from the panel)" in caption
    assert "SYNTHETIC DATA" not in _texts(fig) and "Synthetic" not in caption
    plt.close(fig)


def test_band_and_distribution_figures() -> None:
    import matplotlib.pyplot as plt

    fig, caption = pl.band_figure(_panel(), "mgmt_trained", codebook=CODEBOOK)
    assert [ax.get_title() for ax in fig.axes] == ["2015", "2016"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["none", "low", "high"]
    assert "Wilson" in caption and "Management has professional training" in caption
    plt.close(fig)
    fig, caption = pl.distribution_figure(_panel(), "export_share", codebook=CODEBOOK)
    assert fig.axes[0].get_ylabel() == "Export share (% of sales)"
    assert "SME: n = 12, non-SME: n = 12 firm-years" in caption
    plt.close(fig)


def test_qq_figure_prints_normality_rows() -> None:
    import matplotlib.pyplot as plt

    fig, caption = pl.qq_figure(_panel(), "export_share", normality=_normality(),
                                codebook=CODEBOOK)
    assert len(fig.axes) == 4  # 2 groups x 2 years
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert "n = 6\nK-S 0.210, p = .200*\nS-W 0.930, p = .012" in notes
    assert "Shapiro-Wilk" in caption
    plt.close(fig)


def test_forest_figure_labels_and_not_estimable() -> None:
    import matplotlib.pyplot as plt

    res = _results()
    fig, caption = pl.forest_figure(res, "H1")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == ["internationalized · 2015 (OR)", "internationalized · 2016 (OR)",
                              "internationalized · pooled (Exp(B))"]  # not spec ids
    sides = _texts(fig)
    assert any(t.endswith("higher →") for t in sides) and any(t.startswith("← ") for t in sides)
    ticks = [float(x) for x in ax.get_xticks()]
    assert 1.0 in ticks and all(f"{t:g}".lstrip("0.")[0] in "125" for t in ticks)  # 1-2-5 log ticks
    assert [t.get_text() for t in ax.get_xticklabels()][ticks.index(1.0)] == "1"
    plt.close(fig)
    fig, _ = pl.forest_figure(res, "H1", var_labels={"internationalized": "Exporter"})
    assert "Exporter · 2015 (OR)" in [t.get_text() for t in fig.axes[0].get_yticklabels()]
    points = sorted(float(line.get_xdata()[0]) for line in ax.lines if line.get_marker()
                    in ("o", "D"))
    assert points == pytest.approx([0.5, 0.6, 0.8])
    plt.close(fig)
    fig, caption = pl.forest_figure(res, "H4")
    assert "not estimable" in _texts(fig)
    assert "1 comparison(s) not estimable" in caption
    plt.close(fig)
    fig, _ = pl.forest_figure(res, "H2")
    assert fig.axes[0].get_xscale() == "linear"  # r on a linear axis
    plt.close(fig)


# --------------------------------------------------------------------------- files
def test_render_figures_files_and_determinism(tmp_path) -> None:
    other = _results().assign(sample="ghana")
    kwargs = {"codebook": CODEBOOK, "samples": {"all": _results(), "ghana": other},
              "labels": {"H1": "Propensity to internationalize"}}
    kwargs["formats"] = ("png", "svg")  # the default is PNG only; SVG on request
    a = pl.render_figures(_panel(), _results(), _normality(), tmp_path / "a", **kwargs)
    # drawn by two forked workers: the same files as one process draws
    b = pl.render_figures(_panel(), _results(), _normality(), tmp_path / "b", processes=2,
                          **kwargs)
    names = [p.name for p, _ in a]
    for stem in ("H1_internationalized_by_size_group", "H2_export_share_by_size_group",
                 "H4_mgmt_trained_by_size_group_within_doi_band", "qq_export_share",
                 "forest_H1", "forest_H4", "forest_H1_samples"):
        assert f"{stem}.png" in names and f"{stem}.svg" in names, stem
    for (pa, ca), (pb, cb) in zip(a, b, strict=True):
        data = pa.read_bytes()
        assert len(data) > 1000
        assert data == pb.read_bytes(), pa.name  # byte-identical renders
        assert ca == cb and ca.startswith("Synthetic data")
        if pa.suffix == ".png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and b"Software" not in data
        else:
            assert b"<dc:date>" not in data and b"Matplotlib v" not in data
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    first = manifest[0]
    assert first["kind"] == "figure" and first["path"].endswith(".png")
    assert first["section"] == "H1: Propensity to internationalize"
    assert {e["sample"] for e in manifest} == {"all"}  # the report selects by this key
    assert len(manifest) == len(a) // 2


def test_run_figures_reads_exactly_the_declared_files(tmp_path) -> None:
    """The stage opens the files it is given; a declared file that is missing is an error."""
    _panel().to_parquet(tmp_path / "panel.parquet")
    _results().to_csv(tmp_path / "my_results.csv", index=False)
    _results().assign(sample="ghana").to_csv(tmp_path / "ghana.csv", index=False)
    _normality().to_csv(tmp_path / "my_normality.csv", index=False)
    (tmp_path / "codebook.yaml").write_text("variables: {}\n", encoding="utf-8")
    common = {"panel": str(tmp_path / "panel.parquet"),
              "results": str(tmp_path / "my_results.csv"),
              "codebook": str(tmp_path / "codebook.yaml")}
    written = pl.run_figures(**common, normality=str(tmp_path / "my_normality.csv"),
                             outdir=str(tmp_path / "out"),
                             samples=[str(tmp_path / "my_results.csv"),
                                      str(tmp_path / "ghana.csv")])
    names = {p.name for p, _ in written}
    assert {"qq_export_share.png", "forest_H1_samples.png"} <= names
    with pytest.raises(FileNotFoundError):
        pl.run_figures(**common, normality=str(tmp_path / "normality.csv"),  # not written
                       outdir=str(tmp_path / "out2"))


def test_save_figure_rejects_unknown_format(tmp_path) -> None:
    fig, _ = pl.forest_figure(_results(), "H2")
    with pytest.raises(ValueError, match="unknown figure format"):
        pl.save_figure(fig, "x", tmp_path, formats=("bmp",))
