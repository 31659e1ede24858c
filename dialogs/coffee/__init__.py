"""Coffee chats: a team's members meet in small groups each round, with intros, a
"did you meet?" follow-up, don't-pair lists, ghost pauses and a lottery. The grouping
itself (`grouping.py`) is pure, and also `mentorbot pair`.

The feature's declaration (commands, actions, jobs, help, data parts) is `feature.py`;
this package's own import stays light so that `mentorbot pair` can load `grouping`
without storage, SQLAlchemy or the route table."""
