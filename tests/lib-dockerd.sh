# shellcheck shell=bash
# Extra dockerds for tests (TESTBED.md §3, §5, §8).
#
# Each one runs in a network namespace of its own, reached from the host over
# a veth pair: a dockerd started and stopped in the host's namespace deletes
# the main engine's docker0 bridge (seen here, even with --bridge=none), which
# breaks every other container on the machine. `ip netns exec` is avoided: it
# remounts /sys and dockerd then dies on cgroup v1 (TESTBED §5).
#
#   extra_dockerd_start NAME [dockerd args...]  (may use @IP@ for its address)
#   extra_dockerd_sock NAME     its unix socket path (reachable from the host)
#   extra_dockerd_ip NAME       its address (host side is .1, daemon side .2)
#   extra_dockerd_stop NAME
# Stopped by the caller (trap EXIT); never the main engine.

extra_dockerd_dir() { echo "/tmp/ndt-$1-$$"; }
extra_dockerd_sock() { echo "$(extra_dockerd_dir "$1")/d.sock"; }
extra_dockerd_net() { echo "10.$((200 + $$ % 50)).$(( $(printf %s "$1" | cksum | cut -d" " -f1) % 250 ))"; }
extra_dockerd_ip() { echo "$(extra_dockerd_net "$1").2"; }

extra_dockerd_start() {
	local name=$1 dir ns veth net i
	shift
	dir=$(extra_dockerd_dir "$name")
	ns=ndt-$name-$$
	veth=nd$(( $$ % 10000 ))${name:0:4}
	net=$(extra_dockerd_net "$name")
	mkdir -p "$dir"
	echo '{}' >"$dir/daemon.json"
	ip netns add "$ns" || return 1
	ip link add "${veth}h" type veth peer name "${veth}n" || return 1
	ip link set "${veth}n" netns "$ns" &&
	ip addr add "$net.1/24" dev "${veth}h" &&
	ip link set "${veth}h" up &&
	ip -n "$ns" addr add "$net.2/24" dev "${veth}n" &&
	ip -n "$ns" link set "${veth}n" up &&
	ip -n "$ns" link set lo up || return 1
	echo "$ns ${veth}h" >"$dir/net"
	set -- "${@//@IP@/$net.2}"
	nohup nsenter --net="/run/netns/$ns" dockerd --config-file "$dir/daemon.json" \
		--data-root "$dir/root" --exec-root "$dir/x" \
		--pidfile "$dir/pid" -H "unix://$dir/d.sock" \
		--bridge=none --iptables=false --ip-masq=false \
		--cgroup-parent="/ndt-$name-$$" "$@" >"$dir/log" 2>&1 &
	for i in $(seq 1 100); do
		if curl -s --max-time 2 --unix-socket "$dir/d.sock" http://d/_ping 2>/dev/null | grep -q OK; then
			return 0
		fi
		sleep 0.1
	done
	echo "# extra dockerd $name did not start:" >&2
	tail -20 "$dir/log" >&2
	return 1
}

extra_dockerd_stop() {
	local dir pid i ns veth
	dir=$(extra_dockerd_dir "$1")
	[ -d "$dir" ] || return 0
	if [ -f "$dir/pid" ]; then
		pid=$(cat "$dir/pid")
		kill "$pid" 2>/dev/null
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	fi
	if [ -f "$dir/net" ]; then
		read -r ns veth <"$dir/net"
		ip link del "$veth" 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	fi
	umount -R "$dir/root" 2>/dev/null
	rm -rf "$dir"
}

# extra_dockerd_certs DIR IP: a CA, a server certificate for IP and a client
# certificate (ca.pem, server-cert.pem, server-key.pem, cert.pem, key.pem),
# as DOCKER_CERT_PATH and dockerd --tlsverify expect them (TESTBED.md §3).
extra_dockerd_certs() {
	local dir=$1 ip=$2
	mkdir -p "$dir" && (
		cd "$dir" &&
		openssl genrsa -out ca-key.pem 2048 2>/dev/null &&
		openssl req -x509 -new -key ca-key.pem -sha256 -days 2 -subj /CN=ndt-ca -out ca.pem &&
		openssl genrsa -out server-key.pem 2048 2>/dev/null &&
		openssl req -new -key server-key.pem -subj "/CN=$ip" -out server.csr &&
		printf "subjectAltName=IP:%s,DNS:localhost\nextendedKeyUsage=serverAuth\n" "$ip" >server.cnf &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -sha256 -extfile server.cnf -out server-cert.pem 2>/dev/null &&
		openssl genrsa -out key.pem 2048 2>/dev/null &&
		openssl req -new -key key.pem -subj /CN=ndt-client -out client.csr &&
		printf "extendedKeyUsage=clientAuth\n" >client.cnf &&
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -sha256 -extfile client.cnf -out cert.pem 2>/dev/null
	)
}

# extra_dockerd_start_tls NAME CERTDIR: certificates, then a dockerd with
# mutual TLS on tcp://<its address>:2376
extra_dockerd_start_tls() {
	local name=$1 certs=$2
	extra_dockerd_certs "$certs" "$(extra_dockerd_ip "$name")" &&
	extra_dockerd_start "$name" -H tcp://@IP@:2376 --tlsverify \
		--tlscacert "$certs/ca.pem" --tlscert "$certs/server-cert.pem" \
		--tlskey "$certs/server-key.pem"
}
