#!/usr/bin/env bash
# tests/setup/engine.sh - make sure everything the nextdeploy test suite needs
# is installed and that a Docker engine answers on /var/run/docker.sock.
#
# Idempotent: on a machine that is already set up it only checks and exits 0.
# Quiet: one progress line per step on stderr; full command output goes to
# log files that are printed (tail) only when something fails.
# Runs as root on Debian bookworm, needs no stdin (CI=true friendly).
#
# Environment:
#   ND_TEST_VERBOSE=1   stream apt/dockerd output instead of hiding it
#   ND_SETUP_PROFILE=demo  only what building nextdeploy and running the
#                       README demo need (no test tools, shells, Podman)
#   ND_TEST_ENGINE_WAIT seconds to wait for /_ping after starting dockerd (60)
#
# What it does (see /work/shared/TESTBED.md sections 6 and 8):
#   1. installs the missing apt packages (dpkg-query first; one apt-get update)
#   2. if nothing answers GET /_ping on /var/run/docker.sock, starts dockerd
#      in the background (log: /var/log/nextdeploy-test-dockerd.log)
#   3. if the docker0 bridge vanished under the running engine, recreates it
set -euo pipefail

readonly SOCK=/var/run/docker.sock
readonly DOCKERD_LOG=/var/log/nextdeploy-test-dockerd.log
readonly DOCKERD_PIDFILE=/var/run/docker.pid   # dockerd's default
readonly WAIT_SECS=${ND_TEST_ENGINE_WAIT:-60}
readonly VERBOSE=${ND_TEST_VERBOSE:-0}

# Packages the test suite (build, unit tests, completions, man page, e2e) uses.
#   bsdextrautils -> hexdump, column;  bsdutils (essential) -> script
#   docker-registry, apache2-utils (htpasswd) -> the private registry of the
#   pull/push tests (TESTBED.md §2); policy-rc.d keeps its service stopped
readonly PACKAGES=(
	docker.io debootstrap busybox-static
	pkg-config gcc make libc6-dev
	libcurl4-openssl-dev libcjson-dev libyaml-dev libarchive-dev libgit2-dev
	libssl-dev libssh2-1-dev python3 openssh-server openssh-client time podman
	zsh fish man-db groff-base
	iproute2 curl ca-certificates git openssl
	procps psmisc util-linux bsdutils bsdextrautils
	docker-registry apache2-utils
)

say() { printf 'engine.sh: %s\n' "$*" >&2; }
die() { printf 'engine.sh: ERROR: %s\n' "$*" >&2; exit 1; }

LOGDIR=$(mktemp -d /tmp/nextdeploy-engine.XXXXXX)
trap 'rm -rf "$LOGDIR"' EXIT

# run LOGNAME CMD...: run quietly, show the log tail if it fails
run() {
	local log="$LOGDIR/$1.log"; shift
	if [ "$VERBOSE" = 1 ]; then
		"$@" </dev/null 2>&1 | tee -a "$log" >&2
		return "${PIPESTATUS[0]}"
	fi
	local rc=0
	"$@" </dev/null >>"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		say "command failed (rc $rc): $*"
		tail -n 40 "$log" | sed 's/^/    /' >&2
	fi
	return "$rc"
}

# pid of the dockerd that owns the default socket (default pidfile), if it
# runs. Extra test daemons use their own --pidfile and do not count.
main_dockerd_pid() {
	local pid
	pid=$(cat "$DOCKERD_PIDFILE" 2>/dev/null || true)
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = dockerd ] && echo "$pid"
	return 0
}

ping_ok() {
	[ -S "$SOCK" ] || return 1
	[ "$(curl -s --max-time 5 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null || true)" = OK ]
}

# ---------------------------------------------------------------- 0. sanity
[ "$(id -u)" -eq 0 ] || die "must run as root"
if [ -r /etc/os-release ]; then
	# shellcheck disable=SC1091
	. /etc/os-release
	[ "${VERSION_CODENAME:-}" = bookworm ] ||
		say "warning: written for Debian bookworm, this is ${PRETTY_NAME:-unknown}"
fi
export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------- 1. packages
pkg_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null || true)" = "ii " ]
}

if [ "${ND_SETUP_PROFILE:-}" = demo ]; then
	PACKAGES_WANTED=(docker.io debootstrap pkg-config gcc make libc6-dev
		libcurl4-openssl-dev libcjson-dev libyaml-dev libarchive-dev
		libgit2-dev libssl-dev libssh2-1-dev curl ca-certificates iproute2)
else
	PACKAGES_WANTED=("${PACKAGES[@]}")
fi

missing=()
for p in "${PACKAGES_WANTED[@]}"; do
	pkg_installed "$p" && continue
	# An engine from Docker's own packages (docker-ce) conflicts with
	# docker.io; accept it instead of fighting it.
	if [ "$p" = docker.io ] && pkg_installed docker-ce &&
		command -v dockerd >/dev/null && command -v docker >/dev/null; then
		continue
	fi
	missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
	say "packages: all ${#PACKAGES_WANTED[@]} present"
else
	say "packages: installing ${#missing[@]} missing: ${missing[*]}"
	# One update. A broken third-party source must not stop us: if the
	# update fails, still try the install, which fails clearly on its own.
	run apt-update apt-get update -q ||
		say "warning: apt-get update reported errors; trying the install anyway"
	run apt-install apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}" || die "apt-get install failed"
	for p in "${missing[@]}"; do
		pkg_installed "$p" || die "package $p still not installed"
	done
fi

command -v dockerd >/dev/null || die "dockerd not found after install"
command -v docker >/dev/null || die "docker CLI not found after install"

# ---------------------------------------------------------------- 2. engine
if ping_ok; then
	say "engine: $SOCK answers /_ping"
else
	# A dockerd may be starting right now (e.g. from the package's postinst
	# or a service manager): give it a few seconds before starting another.
	if [ -n "$(main_dockerd_pid)" ]; then
		say "engine: dockerd (pid $(main_dockerd_pid)) is running but not answering yet, waiting"
		for _ in $(seq 1 20); do ping_ok && break; sleep 0.5; done
	fi
fi

if ! ping_ok; then
	if [ -n "$(main_dockerd_pid)" ]; then
		die "dockerd pid $(main_dockerd_pid) ($DOCKERD_PIDFILE) runs but $SOCK does not answer /_ping; not starting a second one"
	fi
	started=
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		# systemd-managed host: let the unit own the daemon (and docker.socket).
		if systemctl start docker.service </dev/null >/dev/null 2>&1; then
			started=systemd
		fi
	fi
	if [ -z "$started" ]; then
		mkdir -p "$(dirname "$DOCKERD_LOG")"
		printf '\n==== %s engine.sh starting dockerd ====\n' "$(date -Is)" >>"$DOCKERD_LOG"
		# setsid+nohup: the daemon must outlive this script and its CI step.
		setsid nohup dockerd </dev/null >>"$DOCKERD_LOG" 2>&1 &
		started="pid $!"
	fi
	say "engine: nothing answered /_ping, started dockerd ($started), waiting up to ${WAIT_SECS}s"
	t0=$SECONDS
	deadline=$((SECONDS + WAIT_SECS))
	until ping_ok; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			say "engine: dockerd log tail ($DOCKERD_LOG):"
			tail -n 30 "$DOCKERD_LOG" 2>/dev/null | sed 's/^/    /' >&2 || true
			die "no engine answered GET /_ping on $SOCK within ${WAIT_SECS}s"
		fi
		if [ "${started#pid }" != "$started" ] && ! kill -0 "${started#pid }" 2>/dev/null; then
			say "engine: dockerd log tail ($DOCKERD_LOG):"
			tail -n 30 "$DOCKERD_LOG" 2>/dev/null | sed 's/^/    /' >&2 || true
			die "dockerd exited during startup"
		fi
		sleep 0.5
	done
	say "engine: /_ping OK after $((SECONDS - t0))s"
fi

# ---------------------------------------------------------------- 3. docker0
# TESTBED section 8: docker0 can vanish under a running engine when other
# daemons come and go; every build then fails with "could not find bridge
# docker0". Put it back (link, address, up) with the address the engine
# expects for its default bridge network.
ip2int() { local a b c d; IFS=. read -r a b c d <<<"$1"; echo $(((a << 24) + (b << 16) + (c << 8) + d)); }
int2ip() { echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"; }

bridge_cfg=$(docker network inspect bridge \
	-f '{{range .IPAM.Config}}{{.Subnet}}|{{.Gateway}}{{"\n"}}{{end}}' 2>/dev/null | grep -m1 '^[0-9.]*/' || true)
if [ -z "$bridge_cfg" ] && ! docker network inspect bridge >/dev/null 2>&1; then
	# engine runs with --bridge=none: no docker0 by design
	say "network: engine has no default bridge network, nothing to check"
else
	subnet=${bridge_cfg%%|*}
	gwip=${bridge_cfg#*|}
	[ -n "$subnet" ] || subnet=172.17.0.0/16
	prefix=${subnet##*/}
	if [ -z "$gwip" ] || [ "$gwip" = "$bridge_cfg" ]; then
		# no explicit gateway: the engine uses the first host address
		gwip=$(int2ip $(($(ip2int "${subnet%/*}") + 1)))
	fi
	fixed=()
	if ! ip link show docker0 >/dev/null 2>&1; then
		ip link add docker0 type bridge
		fixed+=("created link")
	fi
	if ! ip -4 -o addr show dev docker0 | grep -qF " $gwip/$prefix "; then
		ip addr add "$gwip/$prefix" dev docker0
		fixed+=("address $gwip/$prefix")
	fi
	if ! ip -o link show docker0 | grep -q '[<,]UP[,>]'; then
		ip link set docker0 up
		fixed+=("set up")
	fi
	if [ "${#fixed[@]}" -eq 0 ]; then
		say "network: docker0 present ($gwip/$prefix)"
	else
		say "network: repaired docker0: ${fixed[*]}"
	fi
fi

exit 0
