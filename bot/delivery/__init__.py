"""Replies leave through the outbox: the delivery worker sends, retries with backoff, and
marks done."""
