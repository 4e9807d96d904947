# Replication pipeline for a mixed-methods study of SME internationalization.
# The default input is SYNTHETIC (data/synthetic/, see README.md).
#
#   snakemake --cores 2            run everything
#   snakemake --cores 2 -n         show what would run


from snakemake.utils import min_version

min_version("8.10")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/qualitative.smk"
include: "workflow/rules/reports.smk"
include: "workflow/rules/believe.smk"


rule all:
    default_target: True
    input:
        all_targets(),
