#!/usr/bin/env bash
# Try Mentorbot without a Microsoft account: the bot and the Microsoft 365 Agents
# Playground (a Teams emulator in your browser) together. README "Try it".
#
#   bash infra/playground/try.sh          # then open http://localhost:56150
#
# Needs Python 3.11+ and Node.js 18+. The mock team, channel and people are in
# infra/playground/.m365agentsplayground.yml; the bot keeps its data in
# infra/playground/mentorbot-playground.db (delete it to start over). Ctrl-C stops both.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bot_port=${BOT_PORT:-3978}
playground_port=${PLAYGROUND_PORT:-56150}

[ -x "$root/.venv/bin/python" ] || { python3 -m venv "$root/.venv" && "$root/.venv/bin/pip" install -q -e "$root"; }
[ -x "$here/node_modules/.bin/agentsplayground" ] || npm ci --prefix "$here" --no-audit --no-fund --loglevel=error

cd "$here"
DATABASE_URL="sqlite+aiosqlite:///$here/mentorbot-playground.db" PORT="$bot_port" MicrosoftAppId= \
  "$root/.venv/bin/python" -m app serve &
bot=$!
trap 'kill "$bot" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$bot_port/readyz', timeout=1)" 2>/dev/null && break
  sleep 0.2
done

echo "Mentorbot is on http://127.0.0.1:$bot_port; the playground opens on http://localhost:$playground_port"
echo "In it: add the app to the team Data Guild and to your 1:1 chat, fill in your profile,"
echo "then say @Mentorbot /pair now and @Mentorbot /icebreaker now in General."
# Telemetry off; the guard refuses any connection that is not to this machine.
APPLICATION_INSIGHTS_NO_STATSBEAT=true NODE_OPTIONS="--require $here/netguard.js" \
  "$here/node_modules/.bin/agentsplayground" --disable-telemetry -c msteams \
  -e "http://127.0.0.1:$bot_port/api/messages" -p "$playground_port"
