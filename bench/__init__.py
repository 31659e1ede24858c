"""Benchmarks. `python -m bench.turns` compares Mentorbot's turns with a plain echo bot."""
