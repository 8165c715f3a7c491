#!/usr/bin/env bash
# Measures natty beside peer NATS clients on this machine in one run and prints figures and
# ratios (issue 12's rows), plus the start-up instruction counts. Not part of ctest: nothing here
# is a pass/fail timing.
#
#   bench/compare.sh                       # everything (about 10 minutes on 2 cores)
#   bench/compare.sh --sections c,d        # harness options pass through (see its -h)
#   NATTY_COMPARE_NO_BUILD=1 bench/compare.sh   # measure build-release/ as it is
#
# 1. builds natty as Release in build-release/;
# 2. copies the shared peers harness (NATTY_PEERS, default ../shared/peers) to a cache directory
#    and installs its nats.js peers there with `npm ci` (the shared copy is read-only); Go peers
#    are used when $PEERS_BIN (default /tmp/peers/bin) has them;
# 3. runs the harness with natty as the candidate: sections a-e, candidate/peer ratios;
# 4. runs natty's own in-process loops against a server from the harness's server.sh:
#    `bench kv` (the Go CLI's `bench --kv` does 10 k op/s on this kind of machine), `bench
#    request`, and the peak RSS of `sub --raw` while `bench pub` floods it;
# 5. prints bench/startup's callgrind counts against the targets.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers_src=${NATTY_PEERS:-$root/../shared/peers}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/natty/peers
out=$(mktemp -d /tmp/natty-compare.XXXXXX)

fail() {
    echo "bench/compare.sh: $*" >&2
    exit 2
}
[[ -f $peers_src/bench.sh && -f $peers_src/server.sh ]] ||
    fail "no peers harness at $peers_src (set NATTY_PEERS)"
for tool in hyperfine valgrind curl; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install $tool)"
done

if [[ -z ${NATTY_COMPARE_NO_BUILD:-} ]]; then
    cmake -S "$root" -B "$root/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$root/build-release" --target natty >/dev/null
fi
natty=$root/build-release/src/natty
[[ -x $natty ]] || fail "no Release build at $natty"

# The harness runs its nats.js peers from its own directory, so it runs from a copy.
mkdir -p "$cache"
cp -r "$peers_src"/. "$cache"/
chmod -R u+w "$cache"
if command -v npm >/dev/null && [[ ! -d $cache/js/node_modules/@nats-io/transport-node ]]; then
    (cd "$cache/js" && npm ci --no-audit --no-fund >/dev/null 2>&1) ||
        echo "bench/compare.sh: npm ci failed; the nats.js peers are skipped" >&2
fi

echo "== harness (natty as the candidate; results in $out/harness)"
bash "$cache/bench.sh" --candidate "$natty" --out "$out/harness" "$@" >"$out/harness.log" 2>&1 ||
    fail "the harness failed; its log: $out/harness.log"
cat "$out/harness/summary.md"

echo
echo "== natty's in-process loops (server from server.sh, mode js)"
server_env=$(bash "$cache/server.sh" start js)
server_dir=$(sed -n 's/^NATS_PEER_DIR=//p' <<<"$server_env" | tr -d "'\"")
trap 'bash "$cache/server.sh" stop "$server_dir" >/dev/null 2>&1 || true' EXIT
url=$(sed -n 's/^NATS_URL=//p' <<<"$server_env" | tr -d "'\"")
run() { env -i PATH="$PATH" HOME="$out" "$natty" --no-context -s "$url" "$@"; }

run bench kv --msgs 20000 --no-progress --bucket CMP1 | grep -E "stats|put\+get"
run bench kv --msgs 20000 --clients 8 --no-progress --bucket CMP8 | grep -E "put\+get" |
    sed 's/^/8 clients: /'
run bench reply cmp.req --msgs 20000 --no-progress >/dev/null 2>&1 &
reply_pid=$!
sleep 0.5
run bench request cmp.req --msgs 20000 --no-progress | grep -E "stats|Latency"
wait "$reply_pid" || true

# Peak RSS of a printing subscriber under a flood it cannot keep up with (GNU time's %M);
# --wait ends it once the flood is over, whether or not the server dropped it as slow.
if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f "%M" -o "$out/rss" \
        env -i PATH="$PATH" HOME="$out" "$natty" --no-context -s "$url" sub cmp.flood --raw \
        --wait 3s >/dev/null 2>&1 &
    sub_pid=$!
    sleep 0.5
    run bench pub cmp.flood --msgs 1000000 --no-progress | grep -E "stats"
    wait "$sub_pid" || true
    echo "sub --raw peak RSS under a 1,000,000-message flood: $(cat "$out/rss") kB"
else
    echo "sub RSS: skipped (apt-get install time for /usr/bin/time)"
fi

echo
echo "== start-up instructions (callgrind)"
"$root/bench/startup" --no-wall "$natty"
