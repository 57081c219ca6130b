"""Test doubles that plug into the application the way production code does, kept out of the
shipped packages (jobcannon, integrations, assessments)."""
