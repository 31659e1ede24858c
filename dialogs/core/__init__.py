"""The turn framework and the helpers every feature shares. Imports storage, never a
feature: types, the router and dispatch, cards, outbox messages, people, admins, pairs,
local time, schedule options and form checks."""
