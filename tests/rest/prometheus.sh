#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# /metrics with real consumers. patchbayd (TCP, bearer token) switches a
# counted stream from a null: source to a null: sink; Debian's `promtool
# check metrics` must find the exposition clean (format, names, units,
# _total on counters), and a real Prometheus server scraping patchbayd on
# 127.0.0.1 with the token (authorization.credentials_file) must return,
# from its query API, the counters' exact values: the frames sent and
# received, the bytes, a drop reason, the link state and the build info.
#
# usage: prometheus.sh PBGEN PATCHBAYD=... PATCHBAY=... [COUNT=N]

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
COUNT=5000
# shellcheck disable=SC2034 # meson passes OPENAPI= to every rest test; this one has no use for it
OPENAPI=
pb_init "$@"
command -v prometheus >/dev/null || fail "prometheus not installed (scripts/setup.sh installs it)"
command -v promtool >/dev/null || fail "promtool not installed (Debian package prometheus)"

free_port()
{
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$D/token"
chmod 600 "$D/token"
PORT=$(free_port)
pbd_start --workers 1 --http "127.0.0.1:$PORT" --http-token "$D/token"
metrics() { curl -sS -H "Authorization: Bearer $(cat "$D/token")" "http://127.0.0.1:$PORT/metrics"; }

# A counted stream, and ten frames patched to a port that is down (no
# peer on its socket) to count a drop reason.
pbc add null:sink
pbd_wait_link null:sink up 10
pbc add null:src size=100 rate=50000 count="$COUNT"
pbc add vhost:nobody
pbc add null:lone size=64 rate=1000 count=10
pbc patch null:lone vhost:nobody
pbc patch null:src null:sink
pbd_wait_stat null:sink tx_frames "$COUNT" 20
pbd_wait_stat null:lone drops.dest_down 10 10

metrics >"$D/metrics.txt" || fail "GET /metrics failed"
promtool check metrics <"$D/metrics.txt" >"$D/promtool.log" 2>&1 ||
	fail "promtool check metrics: $(cat "$D/promtool.log")"
log "ok: promtool check metrics: clean ($(grep -c '^patchbay_' "$D/metrics.txt") samples)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")" = 401 ] ||
	fail "/metrics without the token was not 401"

# A real Prometheus scraping it every second, with the token from a file.
WEB=$(free_port)
cat >"$D/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: patchbay
    authorization:
      credentials_file: $D/token
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
YML
promtool check config "$D/prometheus.yml" >"$D/promtool-config.log" 2>&1 ||
	fail "our Prometheus config is bad: $(cat "$D/promtool-config.log")"
log "start prometheus on 127.0.0.1:$WEB"
timeout -s KILL "$PB_PROC_LIMIT" prometheus --config.file="$D/prometheus.yml" \
	--storage.tsdb.path="$D/tsdb" --web.listen-address="127.0.0.1:$WEB" \
	>"$D/prometheus.log" 2>&1 &
pb_track prometheus $!

# query EXPR: the value of the instant query's single series, or nothing.
query()
{
	curl -sS --get "http://127.0.0.1:$WEB/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
		python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
res = r.get("data", {}).get("result", [])
if r.get("status") == "success" and len(res) == 1:
    print(res[0]["value"][1])'
}
# expect_query EXPR WANT: Prometheus must answer WANT within 30 s.
expect_query()
{
	local i v=

	for ((i = 0; i < 300; i++)); do
		v=$(query "$1")
		[ "$v" = "$2" ] && break
		pb_alive prometheus || fail "prometheus exited"
		sleep 0.1
	done
	expect_eq "Prometheus: $1" "$v" "$2"
}
expect_query 'up{job="patchbay"}' 1
expect_query 'patchbay_port_tx_frames_total{port="null:sink"}' "$COUNT"
expect_query 'patchbay_port_rx_frames_total{port="null:src",type="null"}' "$COUNT"
expect_query 'patchbay_port_rx_bytes_total{port="null:src"}' $((COUNT * 100))
expect_query 'patchbay_port_drops_total{port="null:lone",reason="dest_down"}' 10
expect_query 'patchbay_port_up{port="null:sink"}' 1
expect_query 'patchbay_patches' 2
expect_query 'count(patchbay_worker_seconds_total{worker="0"})' 3
expect_query 'patchbay_build_info{version!=""}' 1
# The counter moves and Prometheus follows: COUNT more frames.
pbc del null:src --force
pbc add null:src2 size=100 rate=50000 count="$COUNT"
pbc patch null:src2 null:sink
pbd_wait_stat null:sink tx_frames $((COUNT * 2)) 20
expect_query 'patchbay_port_tx_frames_total{port="null:sink"}' $((COUNT * 2))
expect_query 'patchbay_ports' 4
pb_pass "promtool finds the exposition clean; Prometheus scraped it with the token and its queries return the counters"
