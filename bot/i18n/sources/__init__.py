"""The German source of every text the service shows to a person, one module per area
(collected in bot/i18n/declared.py)."""
