"""`python -m analysis`: the sme-intl command line (analysis/cli.py)."""

from analysis.cli import main

raise SystemExit(main())
