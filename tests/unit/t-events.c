/* SPDX-License-Identifier: MIT */
/* Unit tests of event parsing, matching and formatting (tests/data/events). */
#include "tests/unit/unit.h"
#include "core/buf.h"
#include "docker/events.h"

#include <cjson/cJSON.h>

#define DIR "../data/events/"

/* Parse every line of a fixture; returns the count. */
static size_t load(const char *name, struct nd_event *evs, size_t max,
		   bool podman)
{
	char path[256];
	char *data, *p, *nl;
	size_t n = 0;

	snprintf(path, sizeof(path), DIR "%s", name);
	data = unit_read_file(path, NULL);
	if (!data) {
		UNIT_FAIL("cannot read %s", path);
		return 0;
	}
	for (p = data; *p && n < max; p = nl + 1) {
		struct nd_error err = ND_ERROR_INIT;

		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (nd_event_parse(&evs[n], p, (size_t)(nl - p), podman,
				   &err) < 0)
			UNIT_FAIL("line %zu: %s", n + 1, err.msg);
		else
			n++;
		nd_error_release(&err);
	}
	free(data);
	return n;
}

static void release_all(struct nd_event *evs, size_t n)
{
	while (n--)
		nd_event_release(&evs[n]);
}

static char *line_of(const struct nd_event *ev, const char *cname)
{
	struct nd_buf b = ND_BUF_INIT;

	nd_event_format(&b, ev, cname);
	return nd_buf_detach(&b, NULL);
}

TEST(container_life_parsed)
{
	struct nd_event ev[32];
	size_t n = load("docker-container-life.jsonl", ev, 32, false), i;
	const char *want[] = { "create", "create", "connect", "start",
			       "exec_create", "exec_start", "exec_die",
			       "health_status", "exec_create", "exec_start",
			       "exec_die", "die", "disconnect", "destroy",
			       "destroy" };

	CHECK_INT(n, 15);
	for (i = 0; i < n && i < ND_ARRAY_SIZE(want); i++)
		CHECK_STR(ev[i].action, want[i]);
	if (n < 15)
		goto done;
	/* the suffix is split off */
	CHECK_STR(ev[4].detail, "/bin/sh -c true");
	CHECK_STR(ev[7].health, "healthy");
	CHECK(!ev[7].has_exit_code);
	/* die carries the exit code; exec_die's exitCode is not a die */
	CHECK(ev[11].has_exit_code);
	CHECK_INT(ev[11].exit_code, 3);
	CHECK(!ev[6].has_exit_code);
	CHECK_STR(ev[11].name, "nd-ndev-fx-web-r1");
	CHECK_STR(ev[11].service, "web");
	CHECK_STR(ev[11].release, "r1");
	CHECK_STR(ev[11].image, "nd-test/busybox:latest");
	CHECK(ev[11].managed);
	/* network events: the network's name and the container's ID */
	CHECK_STR(ev[2].type, "network");
	CHECK_STR(ev[2].name, "nd-ndev-fx");
	CHECK(ev[2].container && !strncmp(ev[2].container, "1161843e7a63", 12));
	CHECK(!ev[2].managed);
	/* exact nanoseconds from the raw text */
	CHECK(ev[14].time_ns == INT64_C(1795480108228128052));
done:
	release_all(ev, n);
}

TEST(matching_by_labels_and_network_name)
{
	struct nd_event ev[32];
	size_t n = load("docker-container-life.jsonl", ev, 32, false), i;
	int execs = 0;

	for (i = 0; i < n; i++) {
		CHECK(nd_event_matches(&ev[i], "ndev-fx"));
		CHECK(!nd_event_matches(&ev[i], "ndev"));
		CHECK(!nd_event_matches(&ev[i], "other"));
		execs += nd_event_is_exec(&ev[i]);
	}
	CHECK_INT(execs, 6);
	release_all(ev, n);
}

TEST(readable_lines)
{
	struct nd_event ev[32];
	size_t n = load("docker-container-life.jsonl", ev, 32, false);
	char *s;

	if (n < 15) {
		UNIT_FAIL("fixture");
		release_all(ev, n);
		return;
	}
	setenv("TZ", "UTC", 1);
	tzset();
	s = line_of(&ev[11], NULL);
	CHECK_STR(s, "2026-11-24T00:28:26.513Z container die nd-ndev-fx-web-r1 service=web release=r1 exit_code=3");
	free(s);
	s = line_of(&ev[7], NULL);
	CHECK_CONTAINS(s, " container health_status nd-ndev-fx-web-r1 service=web release=r1 health=healthy");
	free(s);
	s = line_of(&ev[2], "nd-ndev-fx-web-r1");
	CHECK_CONTAINS(s, "Z network connect nd-ndev-fx container=nd-ndev-fx-web-r1");
	free(s);
	s = line_of(&ev[2], NULL);
	CHECK_CONTAINS(s, "Z network connect nd-ndev-fx container=1161843e7a63");
	free(s);
	s = line_of(&ev[4], NULL);
	CHECK_CONTAINS(s, " container exec_create nd-ndev-fx-web-r1 service=web release=r1 detail=/bin/sh -c true");
	free(s);
	/* another zone: an offset instead of Z */
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	s = line_of(&ev[11], NULL);
	CHECK_CONTAINS(s, "2026-11-24T01:28:26.513+01:00 container die");
	free(s);
	setenv("TZ", "UTC", 1);
	tzset();
	release_all(ev, n);
}

TEST(json_keys_stable)
{
	struct nd_event ev[32];
	size_t n = load("docker-container-life.jsonl", ev, 32, false);
	cJSON *o;
	char *s;

	if (n < 15) {
		UNIT_FAIL("fixture");
		release_all(ev, n);
		return;
	}
	o = nd_event_json(&ev[11]);
	s = cJSON_PrintUnformatted(o);
	CHECK_STR(s, "{\"time\":\"2026-11-24T00:28:26.513454038Z\",\"type\":\"container\",\"action\":\"die\","
		     "\"detail\":null,\"id\":\"1161843e7a63c8188d4c7461ff6f8d8f1f7580d0191cbd3b6eb42e8f7c72ada1\","
		     "\"name\":\"nd-ndev-fx-web-r1\",\"app\":\"ndev-fx\",\"service\":\"web\",\"release\":\"r1\","
		     "\"image\":\"nd-test/busybox:latest\",\"exit_code\":3,\"health\":null,\"signal\":null,"
		     "\"container\":null}");
	free(s);
	cJSON_Delete(o);
	release_all(ev, n);
}

TEST(image_events_carry_labels)
{
	struct nd_event ev[4];
	size_t n = load("docker-image-tag.jsonl", ev, 4, false);

	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(ev[0].action, "tag");
		CHECK_STR(ev[0].name, "nd-shop:r3");
		CHECK_STR(ev[0].release, "r3");
		CHECK(nd_event_matches(&ev[0], "shop"));
		CHECK(nd_event_matches(&ev[1], "shop"));
		CHECK(!ev[0].image);
	}
	release_all(ev, n);
}

TEST(podman_names_mapped)
{
	struct nd_event ev[4];
	size_t n = load("podman-container.jsonl", ev, 4, true);

	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(ev[0].action, "die");
		CHECK(ev[0].has_exit_code);
		CHECK_INT(ev[0].exit_code, 3);
		CHECK_STR(ev[1].action, "destroy");
		CHECK(nd_event_matches(&ev[1], "shop"));
	}
	release_all(ev, n);
	/* without the Podman flag, "remove" stays */
	n = load("podman-container.jsonl", ev, 4, false);
	if (n == 2)
		CHECK_STR(ev[1].action, "remove");
	release_all(ev, n);
}

TEST(bad_lines)
{
	const char *bad[] = { "", "{}", "[1]", "{\"Type\":\"container\"}",
			      "not json", "{\"Type\":1,\"Action\":\"x\"}" };
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(bad); i++) {
		struct nd_event ev = ND_EVENT_INIT;
		struct nd_error err = ND_ERROR_INIT;

		CHECK(nd_event_parse(&ev, bad[i], strlen(bad[i]), false,
				     &err) < 0);
		nd_error_release(&err);
		nd_event_release(&ev);
	}
	/* a minimal event: no actor, time from "time" */
	{
		const char *s = "{\"Type\":\"daemon\",\"Action\":\"reload\",\"time\":1795480000}";
		struct nd_event ev = ND_EVENT_INIT;
		struct nd_error err = ND_ERROR_INIT;

		CHECK(nd_event_parse(&ev, s, strlen(s), false, &err) == 0);
		CHECK(ev.time_ns == INT64_C(1795480000000000000));
		CHECK(!nd_event_matches(&ev, "shop"));
		nd_event_release(&ev);
	}
}

int main(void)
{
	RUN(container_life_parsed);
	RUN(matching_by_labels_and_network_name);
	RUN(readable_lines);
	RUN(json_keys_stable);
	RUN(image_events_carry_labels);
	RUN(podman_names_mapped);
	RUN(bad_lines);
	return unit_done();
}
