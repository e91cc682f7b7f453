"""The Rasa integration: Rasa runs as its own service; this package speaks its wire protocols.

- `intake`: Rasa slot values checked by our own dialog engine (pure, no I/O);
- `server`: rasa-sdk's own Sanic server with our actions (`anlaufstelle rasa actions`);
- `nlu`: the client for Rasa's NLU (`POST /model/parse`);
- the actions themselves and the bridge channel live in `bot.channels`.
"""
