#!/usr/bin/env bash
# Why the proxies nextdeploy creates set net.ipv4.tcp_migrate_req=1: Caddy
# (2.6+) reloads by opening a second SO_REUSEPORT listener and closing the
# old one, and the kernel resets the connections still queued on the old
# one. This counts those resets: a Caddy container is reloaded RELOADS
# times through its admin API while a client opens a new connection per
# request, once without and once with the sysctl.
#
#   bash bench/proxy-reload.sh          (RELOADS=100, SECONDS_=10, THREADS=2)
#
# Needs the offline image nd-test/caddy:2 (tests/setup/images.sh) and
# python3. Not part of the test suite: the effect is rare by nature (a few
# resets per hundred reloads here), so no bounded test can show it reliably.
# "Cannot assign requested address" lines are the client running out of
# local ports (TIME_WAIT), not the proxy.
set -eu
DOCKER=${DOCKER:-docker}
IMAGE=${IMAGE:-nd-test/caddy:2}
RELOADS=${RELOADS:-100}
SECONDS_=${SECONDS_:-10}
THREADS=${THREADS:-2}
NAME=ndbench-reload-$$

work=$(mktemp -d)
cleanup() {
	$DOCKER rm -f "$NAME" >/dev/null 2>&1 || :
	rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/Caddyfile" <<'EOF'
{
	admin 0.0.0.0:2019
	auto_https off
}
:8080 {
	respond "ok"
}
EOF
cat >"$work/load.py" <<'EOF'
import collections, http.client, sys, threading, time
host, secs, nthr = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
errs = collections.Counter(); total = [0]; lock = threading.Lock()
end = time.monotonic() + secs
def work():
    while time.monotonic() < end:
        e = None
        try:
            c = http.client.HTTPConnection(host, 8080, timeout=2)
            c.request("GET", "/"); r = c.getresponse(); r.read(); c.close()
            if r.status != 200: e = "status %d" % r.status
        except Exception as x:
            e = type(x).__name__ + ": " + str(x)[:60]
        with lock:
            total[0] += 1
            if e: errs[e] += 1
ts = [threading.Thread(target=work) for _ in range(nthr)]
for t in ts: t.start()
for t in ts: t.join()
print("requests %d" % total[0])
for e, n in sorted(errs.items()): print("  %s: %d" % (e, n))
EOF

echo "engine kernel: $($DOCKER info --format '{{.KernelVersion}}'), caddy $($DOCKER run --rm "$IMAGE" caddy version | cut -d' ' -f1)"
for mig in 0 1; do
	$DOCKER rm -f "$NAME" >/dev/null 2>&1 || :
	$DOCKER run -d --name "$NAME" --sysctl "net.ipv4.tcp_migrate_req=$mig" \
		-v "$work/Caddyfile:/etc/caddy/Caddyfile:ro" "$IMAGE" \
		caddy run --config /etc/caddy/Caddyfile >/dev/null
	ip=$($DOCKER inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$NAME")
	for _ in $(seq 50); do
		curl -sf "http://$ip:8080/" >/dev/null && break
		sleep 0.1
	done
	python3 "$work/load.py" "$ip" "$SECONDS_" "$THREADS" >"$work/out" &
	for _ in $(seq "$RELOADS"); do
		curl -s -o /dev/null -X POST -H 'Content-Type: text/caddyfile' \
			-H 'Cache-Control: must-revalidate' \
			--data-binary "@$work/Caddyfile" "http://$ip:2019/load"
		sleep 0.05
	done
	wait
	echo "tcp_migrate_req=$mig, $RELOADS reloads: $(cat "$work/out")"
	# let the client's TIME_WAIT ports go before the next round
	[ "$mig" = 1 ] || sleep 60
done
