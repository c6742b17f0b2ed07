"""Great Expectations for the pseudonymised stage tables, by job:

    expectations/context.py  GX context + Postgres datasource per warehouse (stores and Data
                             Docs under a folder named by a hash of host/port/dbname), cached
                             per process; GX logging quiet while GX runs
    expectations/suites.py   suites derived from sources.SOURCES (generic) + what is specific
                             to a source (row count against the baseline, school ∈ municipality)
    expectations/runner.py   validate a source's stage tables → ValidationOutcome per file
                             (one Checkpoint pass per source and run)
    expectations/results.py  Russian messages, verdict, audit.validation_results rows
    expectations/docs.py     Data Docs for auditors; values from files made markup-safe

``expectations.runner.validate_source`` (``validate_stage`` for one file) is the entry point;
importing this package does not import Great Expectations (it is slow to import),
``expectations.suites`` does.
"""

import logging

# Importing Great Expectations logs ~200 INFO lines (its docs decorators); the modules of this
# package import it, so its logger is at WARNING before they do (`context.quiet_gx` keeps it
# quiet while it validates, after Airflow may have reconfigured logging).
logging.getLogger("great_expectations").setLevel(logging.WARNING)
