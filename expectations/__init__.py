"""Great Expectations suites and runner for the pseudonymised stage tables.

``expectations.runner.validate_stage`` is the entry point; importing this package does not
import Great Expectations (it is slow to import), ``expectations.suites`` does.
"""
