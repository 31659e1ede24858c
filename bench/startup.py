"""Start-up: how long a fresh interpreter takes to load the app, and what it loads.

    python -m bench.startup [--runs 5]

Each measure is a child process (median of `--runs`, after one warm-up run that writes
the byte code and fills the file cache), wall and CPU seconds:

- `python -c pass`: the interpreter alone, the floor;
- `import app`: the bot's composition root, as `serve` starts (no matching);
- `import app` + `create_app(settings)`: everything built, ready to listen (the Bot
  Framework SDK is not part of it: bot/edge.py loads it in a thread once the app starts);
- `import app` + `create_app` + the SDK (`bot.edge.load_sdk()`): all that the first turn
  needs, whether the warm-up or the turn itself loaded it;
- `import app, dialogs.mentoring.matching`: when matching is used (numpy, scipy, highspy);
- `import cli`: what `mentorbot pair` / `match` load before their algorithm.

Then `serve`: `python app.py` as a real process on a SQLite file migrated beforehand (a
restart), wall seconds from spawn to GET /healthz 200 and to the first answer of POST
/api/messages (a malformed activity's 400, which bot/intake.py gives before the SDK is
needed: a valid activity's first turn still waits for the SDK's warm-up), median of
`--runs`.

Each child also says which of numpy, scipy and highspy it has loaded: none but the
matching one may. The children run without PYTHONDONTWRITEBYTECODE, so modules start
from their byte code, as in the image (infra/Dockerfile compiles it at build time).
Progress goes to stderr; stdout gets exactly one JSON line, ending with `meets_goal`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "scipy", "highspy")
GOAL_S = 1.0
REPORT = f"import sys; print('heavy:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
CASES = {
    "interpreter": "pass",
    "import_app": "import app",
    "create_app": (  # a file database that is never opened: create_app connects nothing
        "import app, settings; app.create_app(settings.Settings.from_env("
        "{'DATABASE_URL': 'sqlite+aiosqlite:///never-opened.db'}))"
    ),
    "create_app_and_sdk": (
        "import app, settings, bot.edge; app.create_app(settings.Settings.from_env("
        "{'DATABASE_URL': 'sqlite+aiosqlite:///never-opened.db'})); bot.edge.load_sdk()"
    ),
    "import_app_with_matching": "import app, dialogs.mentoring.matching",
    "import_cli": "import cli",
}


def info(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_once(code: str) -> tuple[float, float, list[str]]:
    """Wall seconds, CPU seconds (user + system) and the heavy modules loaded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\n{REPORT}"],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    last = out.stdout.splitlines()[-1]
    assert last.startswith("heavy:"), out.stdout
    loaded = [m for m in last.removeprefix("heavy:").split(",") if m]
    return wall, cpu, loaded


def measure(name: str, code: str, runs: int) -> dict[str, Any]:
    run_once(code)  # warm-up: byte code written, files cached
    walls, cpus, loaded = [], [], []
    for _ in range(runs):
        wall, cpu, loaded = run_once(code)
        walls.append(wall)
        cpus.append(cpu)
    block = {
        "seconds": round(statistics.median(walls), 3),
        "cpu_seconds": round(statistics.median(cpus), 3),
        "heavy_loaded": loaded,
    }
    info(f"{name}: {block} (wall runs {[round(w, 2) for w in walls]})")
    return block


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status_of(url: str, data: bytes | None = None) -> int | None:
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None  # not listening yet


def wait_for(url: str, want: int, data: bytes | None, started: float) -> float:
    while status_of(url, data) != want:
        if time.perf_counter() - started > 60:
            raise TimeoutError(f"{url} did not answer {want} within 60 s")
        time.sleep(0.005)
    return time.perf_counter() - started


def serve_once(database: Path) -> tuple[float, float]:
    """Spawn `python app.py`: seconds to /healthz 200, and to the messages route's answer."""
    port = free_port()
    env = child_env() | {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PORT": str(port),
        "MicrosoftAppId": "",
        "LOG_LEVEL": "WARNING",
    }
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env)
    try:
        healthy = wait_for(base + "/healthz", 200, None, started)
        answered = wait_for(base + "/api/messages", 400, b"[1]", started)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return healthy, answered


def measure_serve(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.db"
        serve_once(database)  # warm-up: migrates the file, as a first deployment would
        times = [serve_once(database) for _ in range(runs)]
    block = {
        "healthz_s": round(statistics.median(t[0] for t in times), 3),
        "first_answer_s": round(statistics.median(t[1] for t in times), 3),
    }
    info(f"serve: {block} (runs {[(round(h, 2), round(a, 2)) for h, a in times]})")
    return block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    cases = {name: measure(name, code, args.runs) for name, code in CASES.items()}
    serve = measure_serve(args.runs)
    floor = cases["interpreter"]["seconds"]
    app_s = cases["import_app"]["seconds"]
    result = {
        "cases": cases,
        "import_app_over_interpreter_s": round(app_s - floor, 3),
        "matching_adds_s": round(cases["import_app_with_matching"]["seconds"] - app_s, 3),
        "sdk_adds_s": round(
            cases["create_app_and_sdk"]["seconds"] - cases["create_app"]["seconds"], 3
        ),
        "serve": serve,
        "goal": {"import_app_s": GOAL_S},
        "meets_goal": {
            "startup_under_1s": app_s < GOAL_S,
            "first_answer_under_1s": serve["first_answer_s"] < GOAL_S,
            "start_loads_no_matching_library": not cases["import_app"]["heavy_loaded"]
            and not cases["create_app"]["heavy_loaded"]
            and not cases["import_cli"]["heavy_loaded"],
        },
    }
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
