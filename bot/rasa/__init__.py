"""The Rasa integration: Rasa runs as its own service; this package speaks its wire protocols.

- `intake`: Rasa slot values checked by our own dialog engine (pure, no I/O);
- `server`: rasa-sdk's own Sanic server with our actions (`anlaufstelle rasa actions`);
- `nlu`: the client for Rasa's NLU (`POST /model/parse`);
- `driver`: the Rasa bridge's client for Rasa's REST channel (`POST /webhooks/rest/webhook`),
  with which Rasa drives the bot phase (the decisions stay in `bot.conversation.service`);
- `texts`: what the service says when Rasa cannot answer;
- the actions themselves live in `bot.channels.rasa_actions`.
"""
