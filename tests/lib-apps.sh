# Helpers for the tests that build the fixture apps (tests/data/apps) and
# run them the way nextdeploy's health gate would probe them. Needs $APP
# and, for app_start, NAME.plan.json written by `nextdeploy plan --json`.

# app_start NAME IMAGE: start IMAGE as $APP-NAME, wait until the plan's
# probe passes from inside (its log on stderr when it never does)
app_start() {
	local name=$1 image=$2 port probe
	port=$(json_get "$name.plan.json" 'd["port"]') &&
	probe=$(json_get "$name.plan.json" 'd["probe"]') &&
	docker run -d --name "$APP-$name" --label nextdeploy.managed=true \
		--label "nextdeploy.app=$APP" "$image" >/dev/null &&
	nd_wait_for 30 probe_app "$name" "$probe" "$port" / || {
		docker logs "$APP-$name" >&2
		return 1
	}
}

# probe_app NAME PROBE PORT PATH: what the health check will run, printing
# the body
probe_app() {
	local name=$1 probe=$2 port=$3 path=$4 url
	url="http://127.0.0.1:$port$path"
	case $probe in
	node) docker exec "$APP-$name" node -e "
		require('http').get('$url', r => { let b = ''; r.on('data', c => b += c);
		  r.on('end', () => { process.stdout.write(b); process.exit(r.statusCode < 400 ? 0 : 1) }) })
		  .on('error', () => process.exit(1))" ;;
	python) docker exec "$APP-$name" python -c "
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen('$url', timeout=5).read().decode())" ;;
	wget) docker exec "$APP-$name" timeout 5 wget -q -O- "$url" ;;
	*) echo "unknown probe $probe" >&2; return 1 ;;
	esac
}
