"""Server-rendered pages for the person: the chat page (with its no-JavaScript path), static
files, the accessibility statement. Registered on the app by `bot.web.routes.setup_pages`."""
