"""The built-in ATS simulators as a Django app of their own, installed only where they run
(jobcannon/settings/local.py and test.py, when ATS_SIMULATORS_ENABLED; never production.py).
See apps.py and integrations/plugins.py."""
