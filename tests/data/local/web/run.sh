# the test app's process (see Dockerfile)
echo "web up on 8080"
echo "a line on stderr" >&2
echo "secret file: $(cat /run/secrets/TOKEN 2>/dev/null || echo none), env: $GREETING"
case "${MODE:-}" in
stubborn)
	trap 'echo "ignoring SIGTERM"' TERM ;;
exit7)
	httpd -f -p 8080 -h /www &
	sleep 2
	echo "exiting with 7"
	exit 7 ;;
*)
	trap 'echo "bye from web"; exit 0' TERM ;;
esac
httpd -f -p 8080 -h /www &
pid=$!
# wait returns early for a trapped signal: wait again while httpd runs
while kill -0 $pid 2>/dev/null; do wait $pid; done
