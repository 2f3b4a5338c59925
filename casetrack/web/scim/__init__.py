"""SCIM 2.0 provisioning endpoints (issue 18): views.py (the blueprint), resources.py
(what the service publishes), storage.py (scim2-server's storage over casetrack)."""
