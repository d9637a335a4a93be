#!/usr/bin/env bash
# build: a 1 GiB context is streamed, not held: the client's peak RSS stays
# under 64 MiB (the files are sparse or random, made and removed here)
. "$(dirname "$0")/test-lib.sh"

engine_ok || test_skip_all "no engine"
docker image inspect "$ND_TEST_BUSYBOX" >/dev/null 2>&1 || test_skip_all "no $ND_TEST_BUSYBOX (tests/setup/images.sh)"
[ -x /usr/bin/time ] || test_skip_all "no /usr/bin/time (apt-get install time)"
avail=$(df -Pk "$TRASH" | awk 'NR == 2 { print $4 }')
[ "${avail:-0}" -gt $((4 * 1024 * 1024)) ] || test_skip_all "less than 4 GiB free"

GIB=1073741824

test_expect_success 'setup: a 1 GiB context (3 x 320 MiB sparse, 64 MiB random)' '
	mkdir big &&
	printf "FROM %s\nRUN true\n" "$ND_TEST_BUSYBOX" >big/Dockerfile &&
	for i in 1 2 3; do truncate -s 320M big/sparse$i || return 1; done &&
	head -c 67108864 /dev/urandom >big/random &&
	(cd big && nd_app_init) &&
	total=$(du -b --apparent-size big/sparse* big/random | awk "{ s += \$1 } END { print s }") &&
	test "$total" = $GIB
'

test_expect_success 'the whole context is sent with a peak RSS under 64 MiB' '
	test_when_finished "rm -rf big" &&
	start=$(date +%s.%N) &&
	/usr/bin/time -f %M -o rss "$ND_BIN" -C big build --json >out.json 2>err &&
	end=$(date +%s.%N) &&
	bytes=$(json_get out.json "int(d[\"context_bytes\"])") &&
	test "$bytes" -ge $GIB &&
	test_grep "^sent the build context: 1(\\.0)? ?GiB" err &&
	kib=$(tail -n 1 rss) &&
	echo "# peak RSS ${kib} KiB for a 1 GiB context, $(echo "$end - $start" | bc 2>/dev/null || echo "?") s" &&
	grep "^sent the build context" err | sed "s/^/# /" &&
	case "$ND_BIN" in
	*asan*) echo "# (sanitizer build: the RSS bound is not checked)" ;;
	*) test "$kib" -lt 65536 ;;
	esac
'

test_expect_success 'cleanup' '
	nd_cleanup_app "$APP"
'

test_done
