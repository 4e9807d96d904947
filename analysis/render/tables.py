"""Stage ``tables``: every table of one sample, written in every format, with an index."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.render.comparisons import (
    _synthetic,
)
from analysis.render.journal import (
    cross_sample_table,
    descriptives_table,
    normality_table,
    overview_table,
    sample_table,
    summary_table,
    table1,
    test_choice_table,
    variable_label,
    verdict_table,
)
from analysis.render.spss import check_builders, render_table_spec
from analysis.render.table import (
    DEFAULT_FORMATS,
    JOURNAL_FORMATS,
    SYNTHETIC_NOTE,
    Table,
    _as_frame,
    _normalize_results,
    one_sample,
    read_normality,
    read_results,
    read_sample_results,
    read_verdicts,
)
from analysis.stats import registry


def hypothesis_tables(results: pd.DataFrame, hypothesis: str, *, alpha: float = 0.05,
                      labels: Mapping[str, str] | None = None,
                      variable_labels: Mapping[str, str] | None = None,
                      detail: bool = True) -> list[Table]:
    """Every table of one hypothesis: the overview, the summary, then the tables of the tests
    it used (left out when ``detail`` is False).

    The tests' tables are their registry entries' :class:`~analysis.stats.registry.TableSpec` s
    (:func:`analysis.render.spss.render_table_spec`), in registry order. A test's tables appear
    when at least one comparison of the hypothesis used it (a crosstab spec's pooled scope is a
    logit, so crosstab hypotheses also get the logit tables); tables without rows are left out.

    Raises
    ------
    RegistryError
        When a used test names a table builder the render layer does not have.
    """
    res = results[results["hypothesis"] == hypothesis]
    out = [overview_table(results, hypothesis, alpha=alpha, labels=labels,
                          variable_labels=variable_labels),
           summary_table(results, hypothesis, alpha=alpha, labels=labels)]
    if not detail:
        return [t for t in out if len(t.raw)]
    used = set(res["test"])
    entries = [e for name, e in registry.REGISTRY.items() if name in used]
    check_builders(entries)
    for e in entries:
        out += [render_table_spec(results, hypothesis, e, spec, labels=labels)
                for spec in e.tables]
    return [t for t in out if len(t.raw)]


# =========================================================================== render
def render_tables(
    results: pd.DataFrame | str | Path,
    outdir: str | Path,
    *,
    verdicts: pd.DataFrame | str | Path | None = None,
    normality: pd.DataFrame | str | Path | None = None,
    panel: pd.DataFrame | str | Path | None = None,
    codebook: Mapping[str, Any] | str | Path | None = None,
    samples: Mapping[str, pd.DataFrame | str | Path] | None = None,
    alpha: float = 0.05,
    formats: Iterable[str] = DEFAULT_FORMATS,
    journal_formats: Iterable[str] = JOURNAL_FORMATS,
    believe: pd.DataFrame | str | Path | None = None,
    manifest: str | Path | None = None,
    detail: bool = True,
) -> list[Path]:
    """Write every table of one sample into ``outdir``.

    Every input is given explicitly (a frame or the path of the file); nothing is looked up
    beside another file.

    Parameters
    ----------
    results : DataFrame or results.csv path
        The sample's results (one sample).
    outdir : path
        Output directory, e.g. ``reports/tables/{sample}``.
    verdicts, normality : DataFrame or path, optional
        verdicts.csv and normality.csv (Table 2 and Tests of Normality); left out when None.
    panel : DataFrame or parquet path, optional
        The analysed panel of the sample (Table 1).
    codebook : dict or path, optional
        data/codebook.yaml (labels and units in Table 1 and the normality table).
    samples : mapping of sample name to results (DataFrame or results.csv path), optional
        With two or more samples, also writes the cross-sample comparison table.
    alpha : float
        Significance level (summary and cross-sample tables).
    formats : iterable of str
        Table formats (csv, md, tex, html, docx); every table also gets ``{stem}.meta.json``.
    journal_formats : iterable of str
        Further formats of the journal tables (:attr:`Table.journal`) of the pooled sample
        (``all``).
    believe : DataFrame or CSV path, optional
        The "how much to believe each verdict" summary (results/believe/summary.csv): its
        columns join Table 2 (:data:`analysis.render.journal.BELIEVE_COLUMNS`).
    detail : bool
        With False, each hypothesis gets its overview and summary tables only, not the
        SPSS-layout tables of its tests (every statistic stays in results.csv).
    manifest : path, optional
        Where to write the manifest (default ``outdir/manifest.json``): a JSON list with one
        entry per table (sample, section, kind = "table", title, path of the HTML or first
        file, stem, caption = the table's notes joined), the format analysis/report.py reads.

    Returns
    -------
    list of Path
        Every file written (tables, sidecars, index.md, manifest), in writing order.

    Notes
    -----
    File names: ``table1_sample``, ``table1_descriptives``, ``table2_verdicts``,
    ``normality``, ``test_choices``, per hypothesis ``{H}_summary`` and (unless ``detail`` is
    False) the tables of the tests it used, ``{H}_{stem}`` for every
    :class:`~analysis.stats.registry.TableSpec` of their registry entries
    (``{H}_crosstab_counts``, ``{H}_chi_square_tests``, ..., ``{H}_mw_ranks``,
    ``{H}_welch_t``, ``{H}_logit_variables``, ...), and ``cross_sample`` with several samples;
    each with the extensions in ``formats`` plus ``.meta.json``; and ``index.md``,
    ``manifest.json``.
    """
    res = _normalize_results(_as_frame(results, read_results))
    sample = one_sample(res, str(results) if isinstance(results, str | Path) else "results")
    verd = _as_frame(verdicts, read_verdicts)
    norm = _as_frame(normality, read_normality)
    pan = _as_frame(panel, pd.read_parquet)
    if isinstance(codebook, str | Path):
        import yaml

        with open(codebook, encoding="utf-8") as fh:
            codebook = yaml.safe_load(fh)
    labels: dict[str, str] = {}
    if verd is not None and len(verd):
        labels = dict(zip(verd["hypothesis"], verd["label"], strict=True))
    synthetic = _synthetic(res)
    tables: list[Table] = []
    if pan is not None:
        tables += [table1(pan, codebook), sample_table(pan), descriptives_table(pan, codebook)]
    if verd is not None and len(verd):
        t = verdict_table(verd, believe=_as_frame(believe, pd.read_csv))
        t.synthetic = synthetic
        tables.append(t)
    if norm is not None and len(norm):
        var_labels = {v: variable_label(v, codebook, with_unit=True)
                      for v in norm["variable"].unique()}
        t = normality_table(norm, variable_labels=var_labels)
        t.synthetic = t.synthetic or synthetic
        tables.append(t)
    choice = test_choice_table(res)
    if len(choice.raw):
        tables.append(choice)
    var_labels = {str(v): variable_label(str(v), codebook)
                  for c in ("outcome", "group_var", "stratum_var") for v in res[c].unique()
                  if str(v)}
    for hyp in dict.fromkeys(res["hypothesis"].tolist()):
        tables += hypothesis_tables(res, hyp, alpha=alpha, labels=labels,
                                    variable_labels=var_labels, detail=detail)
    if samples is not None and len(samples) > 1:
        frames = {name: _normalize_results(_as_frame(obj, read_results))
                  for name, obj in samples.items()}
        tables.append(cross_sample_table(frames, alpha=alpha))

    outdir = Path(outdir)
    written: list[Path] = []
    entries = []
    formats = list(formats)
    extra = [f for f in journal_formats if f not in formats] if sample == "all" else []
    for t in tables:
        paths = t.write(outdir, formats + extra if t.journal else formats)
        written += paths
        main = next((p for p in paths if p.suffix == ".html"), paths[0])
        entries.append({"sample": sample, "section": t.section, "kind": "table",
                        "title": t.title, "path": str(main), "stem": t.stem,
                        "caption": " ".join(t.all_notes())})
    index = ["# Tables", ""]
    if synthetic:
        index += [f"**{SYNTHETIC_NOTE}**", ""]
    for t in tables:
        first = f"{t.stem}.md" if "md" in formats else f"{t.stem}.{formats[0]}"
        index.append(f"- [{t.title}]({first})" + (
            " (also " + ", ".join(f"[{f}]({t.stem}.{f})" for f in extra) + ")"
            if t.journal and extra else ""))
    index_path = outdir / "index.md"
    with index_path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(index) + "\n")
    written.append(index_path)
    mpath = Path(manifest) if manifest is not None else outdir / "manifest.json"
    mpath.parent.mkdir(parents=True, exist_ok=True)
    with mpath.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(entries, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    written.append(mpath)
    return written


def run_tables(*, results: str, verdicts: str, normality: str, panel: str, codebook: str,
               outdir: str, alpha: float, samples: Sequence[str] = (),
               believe: Sequence[str] = (),
               formats: Iterable[str] = DEFAULT_FORMATS, detail: bool = True) -> list[Path]:
    """Stage ``tables``: every table of one sample (plus the cross-sample table when given).

    Reads exactly the files the rule declares: the sample's ``results``, ``verdicts``,
    ``normality`` and ``panel``, the ``codebook`` and, for the pooled sample, the
    ``samples``' results.csv files and the optional ``believe`` summary (a missing file is an
    error).
    """
    import logging

    written = render_tables(results, outdir, verdicts=verdicts, normality=normality,
                            panel=panel, codebook=codebook,
                            samples=read_sample_results(samples) or None, alpha=alpha,
                            believe=believe[0] if believe else None, formats=formats,
                            detail=detail)
    logging.getLogger(__name__).info("%d files written to %s", len(written), outdir)
    return written
