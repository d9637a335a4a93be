#!/usr/bin/env bash
# tests/setup/images.sh - build, once, the offline base images that the
# nextdeploy end-to-end tests use, and reuse them on later runs.
#
# No container registry is reachable in the test bed, so nothing is pulled:
#   nd-test/debian:bookworm  debootstrap --variant=minbase + the host's extra
#                            CAs, imported with `docker import`
#   nd-test/busybox:latest   the host's busybox-static + applet symlinks,
#                            imported with `docker import`
#   nd-test/node:18          FROM nd-test/debian  (Debian nodejs + npm)
#   nd-test/python:3.11      FROM nd-test/debian  (python3, venv, pip)
#   nd-test/go:1.19          FROM nd-test/debian  (golang-go, git)
#   nd-test/caddy:2          FROM nd-test/debian  (caddy, official-image layout)
#   nd-test/nginx:latest     FROM nd-test/debian  (nginx-light + busybox wget,
#                            like the official nginx alpine image)
#   nd-test/rust:1           FROM nd-test/debian  (rustc, cargo; ~15 s, 730 MB;
#                            ND_TEST_RUST=0 leaves it out)
# Dockerfiles and rootfs overlay files live in tests/setup/images/<name>/.
#
# Every image carries the label nextdeploy.test.recipe=<sha256 of its recipe
# inputs> (script function, files under images/<name>/, the host CAs or the
# busybox binary, and the parent's recipe). An image is rebuilt only when
# that label differs, so a second run is a fast no-op.
#
# Usage: images.sh [--list|--check|--verify|--force] [NAME...]
#   NAME       debian busybox node python go rust caddy nginx (or the full
#              reference, e.g. nd-test/node:18); dependencies come first.
#              Default: all images (rust left out with ND_TEST_RUST=0).
#   --list     print the selected image references, one per line
#   --check    exit 0 only if every selected image exists and is current
#   --verify   after building, smoke-test each selected image with docker run
#   --force    rebuild the selected images even if they are current
#
# Environment:
#   ND_TEST_RUST=0          leave nd-test/rust:1 out of the default set
#   ND_TEST_VERBOSE=1       stream build output instead of hiding it
#   ND_TEST_CACHE           cache dir (default /var/cache/nextdeploy-test):
#                           debootstrap rootfs tarball, build logs, lock
#   ND_TEST_DEBIAN_MIRROR   default http://deb.debian.org/debian
#   ND_TEST_SECURITY_MIRROR default http://deb.debian.org/debian-security
#   DOCKER                  docker CLI to use (default: docker)
#
# Needs what tests/setup/engine.sh installs (docker, debootstrap,
# busybox-static, curl). Uses the docker CLI; the product itself never does.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly IMGDIR=$HERE/images
readonly CACHE=${ND_TEST_CACHE:-/var/cache/nextdeploy-test}
readonly LOGDIR=$CACHE/logs
readonly MIRROR=${ND_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly SEC_MIRROR=${ND_TEST_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
readonly SUITE=bookworm
readonly VERBOSE=${ND_TEST_VERBOSE:-0}
readonly LABEL=nextdeploy.test.recipe
readonly DOCKER=${DOCKER:-docker}
readonly SOCK=/var/run/docker.sock
export DOCKER_BUILDKIT=0 DOCKER_CLI_HINTS=false

ALL=(debian busybox node python go caddy nginx rust)
declare -A REF=(
	[debian]=nd-test/debian:bookworm
	[busybox]=nd-test/busybox:latest
	[node]=nd-test/node:18
	[python]=nd-test/python:3.11
	[go]=nd-test/go:1.19
	[rust]=nd-test/rust:1
	[caddy]=nd-test/caddy:2
	[nginx]=nd-test/nginx:latest
)
declare -A PARENT=([node]=debian [python]=debian [go]=debian [rust]=debian [caddy]=debian [nginx]=debian)

say() { printf 'images.sh: %s\n' "$*" >&2; }
die() { printf 'images.sh: ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; }

# ------------------------------------------------------------------ args
MODE=build FORCE=0 VERIFY=0
want=()
for a in "$@"; do
	case $a in
	--list) MODE=list ;;
	--check) MODE=check ;;
	--verify) VERIFY=1 ;;
	--force) FORCE=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) die "unknown option $a (see --help)" ;;
	*)
		n=
		for k in "${ALL[@]}"; do
			if [ "$a" = "$k" ] || [ "$a" = "${REF[$k]}" ]; then n=$k; fi
		done
		[ -n "$n" ] || die "unknown image '$a' (known: ${ALL[*]})"
		want+=("$n")
		;;
	esac
done
if [ "${#want[@]}" -eq 0 ]; then
	for k in "${ALL[@]}"; do
		[ "$k" = rust ] && [ "${ND_TEST_RUST:-1}" = 0 ] && continue
		want+=("$k")
	done
fi
# Selected set plus dependencies, in build order (canonical order of ALL,
# which lists every parent before its children).
declare -A SEL=()
for n in "${want[@]}"; do
	SEL[$n]=1
	[ -n "${PARENT[$n]:-}" ] && SEL[${PARENT[$n]}]=1
done
ORDER=()
for k in "${ALL[@]}"; do [ -n "${SEL[$k]:-}" ] && ORDER+=("$k"); done

if [ "$MODE" = list ]; then
	for n in "${ORDER[@]}"; do printf '%s\n' "${REF[$n]}"; done
	exit 0
fi

# ------------------------------------------------------------------ helpers
engine_ok() {
	[ "$(curl -s --max-time 5 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null || true)" = OK ]
}

# run NAME CMD...: quiet unless ND_TEST_VERBOSE=1; output kept in
# $LOGDIR/NAME.log; on failure its tail goes to stderr.
run() {
	local name=$1; shift
	local log=$LOGDIR/$name.log rc=0
	printf '\n==== %s: %s\n' "$(date -Is)" "$*" >>"$log"
	if [ "$VERBOSE" = 1 ]; then
		"$@" </dev/null 2>&1 | tee -a "$log" >&2 || rc=$?
	else
		"$@" </dev/null >>"$log" 2>&1 || rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		say "$name: command failed (rc $rc): $*"
		say "$name: last lines of $log:"
		tail -n 40 "$log" | sed 's/^/    /' >&2
	fi
	return "$rc"
}

# Hash of the files of a directory: relative path, exec bit, content.
# (Only the exec bit: other mode bits depend on the checkout's umask.)
hash_tree() {
	local d=$1
	[ -d "$d" ] || return 0
	(cd "$d" && find . -type f -print0 | LC_ALL=C sort -z |
		while IFS= read -r -d '' f; do
			if [ -x "$f" ]; then x=x; else x=-; fi
			printf '%s %s %s\n' "$f" "$x" "$(sha256sum <"$f" | cut -d' ' -f1)"
		done)
}

# The host's extra CAs, installed into the Debian image (TESTBED section 8).
host_cas() {
	[ -d /usr/local/share/ca-certificates ] || return 0
	(cd /usr/local/share/ca-certificates && find . -name '*.crt' -type f -print0 | LC_ALL=C sort -z |
		while IFS= read -r -d '' f; do printf '%s\n' "$f"; done)
}

declare -A HASH=()
recipe_hash() {
	local n=$1
	if [ -z "${HASH[$n]:-}" ]; then
		local h
		h=$({
			printf 'image %s ref %s suite %s\n' "$n" "${REF[$n]}" "$SUITE"
			case $n in
			debian)
				printf 'mirror %s security %s\n' "$MIRROR" "$SEC_MIRROR"
				declare -f debootstrap_rootfs customize_debian build_debian
				host_cas | while IFS= read -r f; do
					printf 'ca %s %s\n' "$f" "$(sha256sum </usr/local/share/ca-certificates/"$f" | cut -d' ' -f1)"
				done
				;;
			busybox)
				declare -f build_busybox
				printf 'busybox %s\n' "$(sha256sum <"$(busybox_bin)" | cut -d' ' -f1)"
				;;
			*)
				declare -f build_dockerfile
				printf 'parent %s\n' "$(recipe_hash "${PARENT[$n]}")"
				;;
			esac
			hash_tree "$IMGDIR/$n"
		} | sha256sum | cut -d' ' -f1)
		HASH[$n]=$h
	fi
	printf '%s\n' "${HASH[$n]}"
}

image_label() {
	"$DOCKER" image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null || true
}
image_id() {
	"$DOCKER" image inspect -f '{{.Id}}' "$1" 2>/dev/null || true
}
is_current() {
	[ "$(image_label "${REF[$1]}")" = "$(recipe_hash "$1")" ]
}

busybox_bin() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		[ -x "$b" ] && { readlink -f "$b"; return 0; }
	done
	die "no busybox binary on the host (install busybox-static; tests/setup/engine.sh does)"
}

# Remove a scratch directory safely: a killed debootstrap can leave /proc,
# /sys or /dev mounted below it, and rm -rf must never descend into those.
scrub_dir() {
	local d=$1 m
	[ -n "$d" ] && [ -d "$d" ] || return 0
	d=$(readlink -f "$d")
	while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done < <(awk -v d="$d/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
	rm -rf --one-file-system "$d"
}

# ------------------------------------------------------------------ recipes
# Pristine debootstrap result, kept as a tarball in the cache so that a
# rebuild of the image (new CAs, new customization) does not re-download.
debootstrap_rootfs() {
	local dir=$1 key tarball
	key=$(printf '%s %s minbase ca-certificates amd64' "$SUITE" "$MIRROR" | sha256sum | cut -c1-12)
	tarball=$CACHE/debootstrap/$SUITE-minbase-amd64-$key.tar
	if [ ! -s "$tarball" ]; then
		mkdir -p "$CACHE/debootstrap"
		say "debian: debootstrap --variant=minbase $SUITE (cache: $tarball)"
		run debian debootstrap --variant=minbase --arch=amd64 --include=ca-certificates \
			"$SUITE" "$dir" "$MIRROR"
		run debian tar --numeric-owner -C "$dir" -cf "$tarball.tmp" .
		mv "$tarball.tmp" "$tarball"
	else
		say "debian: unpacking cached debootstrap rootfs"
		run debian tar --numeric-owner -C "$dir" -xpf "$tarball"
	fi
}

customize_debian() {
	local dir=$1 f
	# apt sources: main, updates and security (deb822, like the official image)
	rm -f "$dir/etc/apt/sources.list"
	mkdir -p "$dir/etc/apt/sources.list.d"
	cat >"$dir/etc/apt/sources.list.d/debian.sources" <<-EOF
		Types: deb
		URIs: $MIRROR
		Suites: $SUITE $SUITE-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb
		URIs: $SEC_MIRROR
		Suites: $SUITE-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	# overlay files (apt/dpkg config, policy-rc.d)
	(cd "$IMGDIR/debian/rootfs" && find . -type f) | while IFS= read -r f; do
		if [ -x "$IMGDIR/debian/rootfs/$f" ]; then m=755; else m=644; fi
		install -D -o 0 -g 0 -m "$m" "$IMGDIR/debian/rootfs/$f" "$dir/$f"
	done
	# host extra CAs (TLS-inspecting proxy); no-op when there are none
	host_cas | while IFS= read -r f; do
		install -D -o 0 -g 0 -m 644 "/usr/local/share/ca-certificates/$f" \
			"$dir/usr/local/share/ca-certificates/$f"
	done
	run debian chroot "$dir" /usr/sbin/update-ca-certificates --fresh
	# no host identity, no caches, no docs
	: >"$dir/etc/resolv.conf"
	printf 'localhost\n' >"$dir/etc/hostname"
	rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin \
		"$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/debconf/*-old \
		"$dir"/var/lib/dpkg/*-old "$dir"/var/log/*.log "$dir"/var/log/apt/* \
		"$dir"/tmp/* "$dir"/var/tmp/* "$dir"/root/.bash_history \
		"$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/*
	find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
	find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
	mkdir -p "$dir/var/lib/apt/lists/partial"
}

build_debian() {
	local dir=$1/rootfs
	mkdir -p "$dir"
	debootstrap_rootfs "$dir"
	customize_debian "$dir"
	say "debian: docker import"
	run debian bash -o pipefail -c '
		tar --numeric-owner -C "$1" -c . |
		"$2" import --change "CMD [\"/bin/bash\"]" --change "LABEL $3=$4" - "$5"' _ \
		"$dir" "$DOCKER" "$LABEL" "$(recipe_hash debian)" "${REF[debian]}"
}

build_busybox() {
	local dir=$1/rootfs bb a f
	bb=$(busybox_bin)
	if ldd "$bb" >/dev/null 2>&1; then
		die "busybox: $bb is dynamically linked; the image needs busybox-static"
	fi
	mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,tmp,var/tmp,var/www,dev,proc,sys}
	chmod 1777 "$dir/tmp" "$dir/var/tmp"
	chmod 700 "$dir/root"
	install -o 0 -g 0 -m 755 "$bb" "$dir/bin/busybox"
	# the `busybox --install -s` layout, made on the host: one symlink per
	# applet at its canonical path
	"$bb" --list-full | while IFS= read -r a; do
		[ "$a" = bin/busybox ] && continue
		mkdir -p "$dir/$(dirname "$a")"
		ln -sfn /bin/busybox "$dir/$a"
	done
	(cd "$IMGDIR/busybox/rootfs" && find . -type f) | while IFS= read -r f; do
		install -D -o 0 -g 0 -m 644 "$IMGDIR/busybox/rootfs/$f" "$dir/$f"
	done
	for a in sh httpd sleep wget nc; do
		[ -e "$dir/bin/$a" ] || [ -e "$dir/usr/bin/$a" ] || [ -e "$dir/usr/sbin/$a" ] ||
			[ -e "$dir/sbin/$a" ] || die "busybox: applet $a missing from $bb"
	done
	say "busybox: docker import"
	run busybox bash -o pipefail -c '
		tar --numeric-owner -C "$1" -c . |
		"$2" import --change "CMD [\"sh\"]" --change "LABEL $3=$4" - "$5"' _ \
		"$dir" "$DOCKER" "$LABEL" "$(recipe_hash busybox)" "${REF[busybox]}"
}

build_dockerfile() {
	local n=$1
	local nocache=()
	[ "$FORCE" = 1 ] && nocache=(--no-cache)
	run "$n" "$DOCKER" build --force-rm "${nocache[@]}" --label "$LABEL=$(recipe_hash "$n")" \
		-t "${REF[$n]}" "$IMGDIR/$n"
}

# Post-build checks that must hold before an image counts as built.
postcheck() {
	local n=$1
	case $n in
	node)
		# npm must reach the npm registry from inside `docker build`
		local ctx
		ctx=$(mktemp -d "$CACHE/npmprobe.XXXXXX")
		cat >"$ctx/Dockerfile" <<-'EOF'
			FROM nd-test/node:18
			WORKDIR /tmp/npmprobe
			RUN npm install --no-audit --no-fund is-number@7.0.0 \
			 && node -e 'if (!require("is-number")(7)) process.exit(1)'
		EOF
		local rc=0
		run node "$DOCKER" build --no-cache --force-rm --rm -t nd-test/npm-probe:tmp "$ctx" || rc=$?
		"$DOCKER" rmi -f nd-test/npm-probe:tmp >/dev/null 2>&1 || true
		rm -rf "$ctx"
		[ "$rc" -eq 0 ] || { say "node: npm install inside docker build failed"; return 1; }
		;;
	esac
}

# ------------------------------------------------------------------ verify
# verify NAME: smoke-test an image with docker run --rm; prints the versions.
VERIFY_CID=
verify() {
	local n=$1 ref=${REF[$1]} out
	case $n in
	debian) out=$("$DOCKER" run --rm "$ref" bash -c '. /etc/os-release; echo "$PRETTY_NAME"; ls /etc/ssl/certs/ca-certificates.crt >/dev/null') || return 1 ;;
	node) out=$("$DOCKER" run --rm "$ref" sh -c 'echo "node $(node -v) npm $(npm -v)"') || return 1 ;;
	python) out=$("$DOCKER" run --rm "$ref" sh -c 'python3 -c "import venv, sys; print(\"python\", sys.version.split()[0])" && pip3 --version | cut -d" " -f1,2') || return 1 ;;
	go) out=$("$DOCKER" run --rm "$ref" sh -c 'go version && cd /tmp && mkdir m && cd m && printf "module example.com/m\n\ngo 1.19\n" >go.mod && printf "package main\nimport (\"fmt\"; \"net/http\")\nfunc main() { _ = http.StatusOK; fmt.Println(\"hello\") }\n" >main.go && go build -o /tmp/h . && /tmp/h && git --version') || return 1 ;;
	rust) out=$("$DOCKER" run --rm "$ref" sh -c 'rustc -V && cargo -V && cd /tmp && cargo new -q --vcs none hello && cd hello && cargo build -q --offline && ./target/debug/hello') || return 1 ;;
	caddy)
		out=$("$DOCKER" run --rm "$ref" caddy version) || return 1
		if "$DOCKER" run --rm "$ref" sh -c 'command -v curl || command -v wget' >/dev/null 2>&1; then
			say "verify caddy: curl or wget found in the image"; return 1
		fi
		;;
	nginx)
		out=$("$DOCKER" run --rm "$ref" sh -c 'nginx -v 2>&1 && command -v wget >/dev/null && test -f /etc/nginx/mime.types && echo wget ok') || return 1
		;;
	busybox)
		VERIFY_CID=$("$DOCKER" run -d --rm "$ref" sh -c 'mkdir -p /www && echo busybox-httpd-ok >/www/index.html && exec httpd -f -p 8080 -h /www') || return 1
		local i
		out=
		for i in 1 2 3 4 5 6 7 8 9 10; do
			out=$("$DOCKER" exec "$VERIFY_CID" timeout 5 wget -q -O- http://127.0.0.1:8080/ 2>/dev/null || true)
			[ "$out" = busybox-httpd-ok ] && break
			sleep 0.3
		done
		"$DOCKER" rm -f "$VERIFY_CID" >/dev/null 2>&1 || true
		VERIFY_CID=
		[ "$out" = busybox-httpd-ok ] || { say "verify busybox: httpd did not serve the file"; return 1; }
		out=$("$DOCKER" run --rm "$ref" sh -c 'sleep 0 && command -v nc wget httpd sleep >/dev/null && busybox | head -1') || return 1
		out="httpd ok; $out"
		;;
	esac
	printf '%-24s %s\n' "$ref" "$(printf '%s' "$out" | tr '\n' ' ')"
}

# ------------------------------------------------------------------ main
[ "$(id -u)" -eq 0 ] || die "must run as root"
command -v "$DOCKER" >/dev/null || die "no docker CLI ($DOCKER); run tests/setup/engine.sh first"
engine_ok || die "no engine answers /_ping on $SOCK; run tests/setup/engine.sh first"

if [ "$MODE" = check ]; then
	rc=0
	for n in "${ORDER[@]}"; do
		if ! is_current "$n"; then
			if [ -z "$(image_id "${REF[$n]}")" ]; then
				say "${REF[$n]}: missing"
			else
				say "${REF[$n]}: stale (recipe changed)"
			fi
			rc=1
		fi
	done
	exit "$rc"
fi

case $(dpkg --print-architecture 2>/dev/null || uname -m) in
amd64 | x86_64) ;;
*) die "these images are linux/amd64; this host is $(uname -m)" ;;
esac

mkdir -p "$CACHE" "$LOGDIR"
# One builder at a time (parallel CI jobs on one machine share the images).
exec 9>"$CACHE/images.lock"
if ! flock -n 9; then
	say "another images.sh is running; waiting for it"
	flock 9
fi

WORK=''
CURRENT=''
cleanup() {
	local rc=$?
	[ "$rc" -ne 0 ] && [ -n "$CURRENT" ] && say "$CURRENT: build failed (rc $rc)"
	if [ -n "$VERIFY_CID" ]; then "$DOCKER" rm -f "$VERIFY_CID" >/dev/null 2>&1 || true; fi
	[ -n "$WORK" ] && scrub_dir "$WORK"
	"$DOCKER" rmi -f nd-test/npm-probe:tmp >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# recipe hashes, parents first, computed once in this shell
for n in "${ORDER[@]}"; do recipe_hash "$n" >/dev/null; done

T0=$SECONDS
timings=()
old_ids=()
built=0
for n in "${ORDER[@]}"; do
	ref=${REF[$n]}
	if [ "$FORCE" != 1 ] && is_current "$n"; then
		say "$ref: up to date"
		continue
	fi
	old=$(image_id "$ref")
	say "$ref: building (log: $LOGDIR/$n.log)"
	: >"$LOGDIR/$n.log"
	t=$SECONDS
	WORK=$(mktemp -d "$CACHE/work.XXXXXX")
	CURRENT=$ref
	# called plainly so that set -e stays in force inside the recipes
	case $n in
	debian) build_debian "$WORK" ;;
	busybox) build_busybox "$WORK" ;;
	*) build_dockerfile "$n" ;;
	esac
	CURRENT=
	scrub_dir "$WORK"
	WORK=
	if ! postcheck "$n"; then
		"$DOCKER" rmi "$ref" >/dev/null 2>&1 || true
		die "$ref: post-build check failed; image removed"
	fi
	is_current "$n" || die "$ref: built, but its recipe label does not match"
	new=$(image_id "$ref")
	[ -n "$old" ] && [ "$old" != "$new" ] && old_ids+=("$old")
	size=$("$DOCKER" image inspect -f '{{.Size}}' "$ref")
	say "$ref: built in $((SECONDS - t))s ($((size / 1000000)) MB)"
	timings+=("$n $((SECONDS - t))s")
	built=$((built + 1))
done

# Drop the images our rebuilds replaced (newest first so children go before
# their parents); ones still used by something else stay.
for ((i = ${#old_ids[@]} - 1; i >= 0; i--)); do
	"$DOCKER" rmi "${old_ids[$i]}" >/dev/null 2>&1 || true
done

if [ "$VERIFY" = 1 ]; then
	for n in "${ORDER[@]}"; do
		verify "$n" || die "${REF[$n]}: verification failed"
	done
fi

if [ "$built" -eq 0 ]; then
	say "all ${#ORDER[@]} images up to date (${SECONDS}s)"
else
	say "built $built image(s) in $((SECONDS - T0))s: ${timings[*]}"
fi
