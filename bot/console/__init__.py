"""The counsellors' console at /console: login, the team queue, the case view, and the
admins' pages (flows, translations, office settings, statistics, audit log).

Registered on the app by `bot.console.routes.setup_console`, like the chat pages by
`bot.web.routes.setup_pages`.
"""
