"""Published believe results: what they were computed from, and whether they are current.

The simulations of "how much to believe each verdict" take minutes, so the default run does not
make them. Their summary is *published* instead: ``sme-intl believe --publish`` copies
``results/believe/summary.csv`` and its sidecar ``summary.json`` to the file the configuration
names (``believe_results``, by default ``data/believe/summary.csv``), which is committed and
which no rule writes. The sidecar records a *fingerprint* of everything the numbers were
computed from: the SHA-256 of every input file (the panels, the codebook, the presets, the
hypotheses, the believe settings, the generator's parameters) and the settings that change the
analysed panel or the tests (``alpha``, ``derive``, the panel entries).

The default run (rule ``believe_published``) computes the same fingerprint from its own inputs.
When the two agree, the report prints the section "How much to believe each verdict" and Table
2 its columns; when they do not (other panels, edited hypotheses or settings), the report says
so and how to recompute and publish, and Table 2 carries no believe columns. So the report
depends only on committed files, never on what happens to be in ``results/``; and it never
shows numbers computed from other inputs as current.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.runlog import sha256

#: Columns of the published summary that Table 2 prints (see
#: :data:`analysis.render.journal.BELIEVE_COLUMNS`).
TABLE2_COLUMNS = ["power", "false_support_rate", "spec_curve_support", "p_reproduce_study"]
#: Keys of a panel entry that do not change the panel (where the entry came from).
_ENTRY_NOISE = ("config_file",)


def sidecar(path: str | Path) -> Path:
    """The JSON sidecar of a published (or computed) summary CSV: same name, ``.json``.

    Examples
    --------
    >>> sidecar("data/believe/summary.csv").as_posix()
    'data/believe/summary.json'
    """
    return Path(path).with_suffix(".json")


def believe_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The believe settings the configuration names (empty when switched off)."""
    from analysis.config import load_yaml

    path = config.get("believe") or ""
    return load_yaml(path) if path else {}


def fingerprint_files(config: dict[str, Any],
                      settings: dict[str, Any] | None = None) -> list[str]:
    """The input files whose contents determine the believe results, sorted.

    The panel files, the codebook, the size definitions and the mapping presets the panels use,
    the hypothesis specs, the believe settings, the generator's parameters
    (``config/synthetic.yaml``) and the calibration's start and comparison parameters.
    """
    settings = believe_settings(config) if settings is None else settings
    presets = config.get("presets_dir", "config/presets")
    files = [p["path"] for p in config["panels"].values()]
    files += [config["codebook"], config["hypotheses"], f"{presets}/size_definitions.yaml",
              "config/synthetic.yaml"]
    files += [f"{presets}/{p['mapping']['preset']}.yaml" for p in config["panels"].values()
              if (p.get("mapping") or {}).get("preset")]
    if config.get("believe"):
        files.append(config["believe"])
    cal = settings.get("calibration") or {}
    files += [f for f in (cal.get("start"), cal.get("compare_with")) if f]
    return sorted(set(files))


def fingerprint_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration settings that change the analysed panel or the tests."""
    panels = {name: {k: v for k, v in entry.items() if k not in _ENTRY_NOISE}
              for name, entry in config["panels"].items()}
    return json.loads(json.dumps({"alpha": config["alpha"], "derive": config["derive"],
                                  "panels": panels}, sort_keys=True, default=str))


def fingerprint(config: dict[str, Any], settings: dict[str, Any] | None = None,
                root: str | Path = ".") -> dict[str, Any]:
    """The fingerprint of the inputs of the believe results under ``config``.

    Returns ``{"digest": ..., "files": {path: sha256}, "settings": {...}}``; ``digest`` is the
    SHA-256 of the other two as canonical JSON. Paths are those of the configuration, read
    relative to ``root`` (the directory Snakemake runs in).
    """
    files = {}
    for f in fingerprint_files(config, settings):
        p = Path(root) / f
        files[f] = sha256(p) if p.is_file() else "missing"
    record = {"files": files, "settings": fingerprint_settings(config)}
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode("utf-8")).hexdigest()
    return {"digest": digest, **record}


def differences(published: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints, one line each (empty when they agree).

    Examples
    --------
    >>> a = {"digest": "1", "files": {"x.csv": "aa", "y.yaml": "bb"}, "settings": {"alpha": 0.05}}
    >>> b = {"digest": "2", "files": {"x.csv": "cc", "z.csv": "dd"}, "settings": {"alpha": 0.1}}
    >>> differences(a, b)
    ['x.csv: other contents', 'y.yaml: not an input now', 'z.csv: not an input then', 'alpha']
    """
    if published.get("digest") == current.get("digest"):
        return []
    out = []
    old, new = published.get("files", {}), current.get("files", {})
    for f in sorted(set(old) | set(new)):
        if f not in new:
            out.append(f"{f}: not an input now")
        elif f not in old:
            out.append(f"{f}: not an input then")
        elif old[f] != new[f]:
            out.append(f"{f}: other contents")
    olds, news = published.get("settings", {}), current.get("settings", {})
    out += [k for k in sorted(set(olds) | set(news)) if olds.get(k) != news.get(k)]
    return out or ["the fingerprint's digest"]


def check_published(path: str | Path | None, config: dict[str, Any],
                    root: str | Path = ".") -> dict[str, Any]:
    """Whether the published believe results at ``path`` are for the inputs of ``config``.

    Returns a record with ``status``: ``current`` (the fingerprints agree), ``other_inputs``
    (they do not; ``differences`` lists what differs), ``absent`` (no file published there) or
    ``off`` (``path`` is None or empty: the configuration switches them off); ``path``; and,
    when current, ``sidecar`` (the published JSON record).
    """
    if not path:
        return {"status": "off", "path": ""}
    csv_path, json_path = Path(root) / path, sidecar(Path(root) / path)
    if not csv_path.is_file() or not json_path.is_file():
        return {"status": "absent", "path": str(path)}
    record = json.loads(json_path.read_text(encoding="utf-8"))
    settings = believe_settings(config) if config.get("believe") else {}
    current = fingerprint(config, settings, root)
    diff = differences(record.get("fingerprint", {}), current)
    if diff:
        return {"status": "other_inputs", "path": str(path), "differences": diff,
                "published_digest": record.get("fingerprint", {}).get("digest", ""),
                "current_digest": current["digest"]}
    return {"status": "current", "path": str(path), "sidecar": record,
            "digest": current["digest"]}


def run_check_published(*, config: dict[str, Any], published: str, out_csv: str,
                        out_json: str) -> dict[str, Any]:
    """Stage ``believe_published``: check the published results against this run's inputs.

    Writes ``out_json`` (the record of :func:`check_published`) and ``out_csv``: the published
    summary when it is current (the columns Table 2 prints), else only the ``hypothesis``
    column with no rows, so that Table 2 carries no believe columns.
    """
    import logging

    from analysis.runlog import write_csv, write_json

    log = logging.getLogger(__name__)
    record = check_published(published, config)
    if record["status"] == "current":
        table = pd.read_csv(published, keep_default_na=False, na_values=[""])
        write_csv(table[["hypothesis", *[c for c in TABLE2_COLUMNS if c in table]]], out_csv)
        record["summary"] = json.loads(table.to_json(orient="records"))
        log.info("published believe results %s: current (fingerprint %s)", published,
                 record["digest"][:12])
    else:
        write_csv(pd.DataFrame(columns=["hypothesis"]), out_csv)
        log.info("published believe results %s: %s %s", published or "(none)",
                 record["status"], "; ".join(record.get("differences", [])))
    write_json(record, out_json)
    return record


def publish(*, config: dict[str, Any], results: str | Path = "results/believe/summary.csv",
            root: str | Path = ".") -> list[Path]:
    """Copy the computed summary and its sidecar to where the configuration publishes them.

    Refuses (``ValueError``) when the configuration switches publishing off, when there are no
    computed results, or when they were computed from other inputs than the configuration's
    now (the report would not show them). Returns the files written.
    """
    dest = config.get("believe_results") or ""
    if not dest:
        raise ValueError("the configuration publishes no believe results (believe_results is "
                         "null); set believe_results: data/believe/summary.csv")
    src = Path(root) / results
    if not src.is_file() or not sidecar(src).is_file():
        raise ValueError(f"no computed results at {results} (and {sidecar(results)}): run "
                         "`snakemake --cores 2 believe` first")
    record = json.loads(sidecar(src).read_text(encoding="utf-8"))
    current = fingerprint(config, believe_settings(config), root)
    diff = differences(record.get("fingerprint", {}), current)
    if diff:
        raise ValueError(f"{results} was computed from other inputs than the configuration's "
                         "now (" + "; ".join(diff) + "): rerun `snakemake --cores 2 believe`")
    out = Path(root) / dest
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, out)
    shutil.copyfile(sidecar(src), sidecar(out))
    return [out, sidecar(out)]


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.believe.publish [--config FILE]``: publish the computed summary
    (what ``sme-intl believe --publish`` runs after the simulations)."""
    import argparse
    import sys

    from analysis.config import check_config, load_yaml

    ap = argparse.ArgumentParser(description=main.__doc__.splitlines()[0] if main.__doc__
                                 else None)
    ap.add_argument("--config", default="config/config.yaml")
    args = ap.parse_args(argv)
    config = check_config(load_yaml(args.config), config_files=[args.config])
    try:
        written = publish(config=config)
    except ValueError as err:
        print(f"not published: {err}", file=sys.stderr)
        return 1
    print("published " + " and ".join(str(p) for p in written)
          + "; commit them, then `sme-intl reproduce` puts them in the report")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
