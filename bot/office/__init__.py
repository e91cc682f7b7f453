"""The office's own rules: opening hours and public holidays, the texts that depend on them,
the settings an admin changes while the service runs, new-case alerts, and housekeeping
(closing idle conversations, deleting cases past their retention)."""
