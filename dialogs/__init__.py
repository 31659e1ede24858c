"""Conversation logic: one package per feature a Teams admin sees (account, coffee,
icebreakers, mentoring, goals) on top of `core`, the turn framework they share.
`routes.py` lists the features; `jobs.py` collects their scheduled jobs."""
