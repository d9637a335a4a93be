#!/usr/bin/env bash
# The README's first command (`make demo`): on a fresh Debian machine, as
# root, install what is needed, start the engine, build nextdeploy, and
# deploy the bundled example app (examples/hello) behind its Caddy proxy,
# health-gated. Prints the app's URL. Run it again to redeploy.
#
# Where no container registry is reachable, the official images the example
# would use (node, caddy) cannot be pulled: the demo then builds the same
# offline images the test suite uses (tests/setup/images.sh) and points the
# example at them, and says so in one line.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
export DEBIAN_FRONTEND=noninteractive

say() { printf 'demo: %s\n' "$*" >&2; }

ND_SETUP_PROFILE=demo bash tests/setup/engine.sh
say "building nextdeploy"
make -s -j"$(nproc)" nextdeploy >/dev/null

app=$top/examples/hello
project=$app/nextdeploy.yml
base=$(./nextdeploy -f "$project" plan --json |
	sed -n 's/^  "base_image": "\(.*\)",$/\1/p')
proxy=caddy:2

# Can the engine get the images the example wants? (a pull with a deadline)
can_pull() {
	local ref=$1 repo tag
	repo=${ref%:*}
	tag=${ref##*:}
	docker image inspect "$ref" >/dev/null 2>&1 && return 0
	curl -sf --max-time 60 --unix-socket /var/run/docker.sock -X POST \
		"http://localhost/images/create?fromImage=$repo&tag=$tag" \
		-o /tmp/nextdeploy-demo-pull.log 2>/dev/null &&
		! grep -q '"error"' /tmp/nextdeploy-demo-pull.log
}

if [ -n "$base" ] && can_pull "$base" && can_pull "$proxy"; then
	say "deploying examples/hello with the official images ($base, $proxy)"
else
	say "no registry reachable: using the locally built nd-test/node:18 and nd-test/caddy:2 images (tests/setup/images.sh) instead of ${base:-node} and $proxy"
	bash tests/setup/images.sh node caddy
	dir=$(mktemp -d /tmp/nextdeploy-demo.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
	# the example's project file, with the offline images and its source
	sed -e "s|^app: hello$|app: hello\nsource: { path: $app }\nbuild: { base_image: nd-test/node:18, runtime_image: nd-test/node:18 }|" \
		-e "s|^deploy:$|deploy:\n  proxy: { image: nd-test/caddy:2 }|" \
		"$project" >"$dir/nextdeploy.yml"
	project=$dir/nextdeploy.yml
fi

url=$(./nextdeploy -f "$project" run --build)
say "the app answers:"
curl -sf --max-time 10 "$url" | sed -n 's/<[^>]*>//g; /./p' >&2
say "see it with:  curl $url   (logs: ./nextdeploy -f examples/hello/nextdeploy.yml logs -f)"
echo "$url"
