"""The conversation service (`service.py`): the one place that decides what a message causes,
with the flow catalog it runs, the handover rules and the counsellors' typing board."""
