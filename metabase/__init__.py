"""Dashboards as code for Metabase: card and dashboard files, and the provisioner.

- ``cards/**.yml``: one question (native SQL against ``marts`` / ``reference``) per file;
- ``dashboards/*.yml``: one dashboard per file (cards, positions, filters);
- ``specs``: loading and checking those files, rendering card SQL for tests;
- ``client``: a small client of Metabase's REST API;
- ``provision``: the CLI that creates or updates everything in one owned collection.
"""
