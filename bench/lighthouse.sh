#!/bin/bash
# Lighthouse's four scores (mobile, its default form factor) for the demo's home, an episode and both maps,
# served by `station serve` from site/ and audited by Debian's Chromium. Lighthouse comes from npm (a bench tool
# only, never a dependency of the station): LIGHTHOUSE=/path/to/node_modules/.bin/lighthouse, or npx fetches it.
# Run from the project root after `.venv/bin/station build`. Results: bench/out/lighthouse-*.json.
set -euo pipefail
LIGHTHOUSE=${LIGHTHOUSE:-"npx --yes lighthouse@12"}
PORT=${PORT:-8765}
mkdir -p bench/out
.venv/bin/station serve --port "$PORT" > bench/out/lighthouse-serve.log 2>&1 &
SERVE=$!
trap 'kill $SERVE' EXIT
sleep 3
for page in "" "shows/night-talk/awake-at-three/" "map/" "topics/"; do
  name=$(echo "home/$page" | tr '/' '_')
  $LIGHTHOUSE "http://127.0.0.1:$PORT/$page" --chrome-path=/usr/bin/chromium \
    --chrome-flags="--headless=new --no-sandbox" --output=json --output-path="bench/out/lighthouse-$name.json" --quiet
  .venv/bin/python - "$page" "bench/out/lighthouse-$name.json" <<'PY'
import json
import sys

page, path = sys.argv[1], sys.argv[2]
report = json.load(open(path, encoding="utf-8"))
scores = {k: round(v["score"] * 100) for k, v in report["categories"].items() if v["score"] is not None}
print(f"/{page:<36} {report['configSettings']['formFactor']:<7} " + "  ".join(f"{k} {v}" for k, v in scores.items()))
PY
done
