"""Administration: units, accounts and roles, reference data, mail templates, settings
and the incident page (blueprint ``admin``)."""
