/* SPDX-License-Identifier: MIT */
/*
 * Build and prune markers (core/marker.h): what a marker volume says, and
 * when it is stale -- by age on the engine's clock, or because its process
 * is certainly gone (this host, this boot and pid namespace).
 */
#include "tests/unit/unit.h"
#include "core/marker.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char host[256];
static char here[160]; /* "<boot id>:<pid ns>" */
static double now;

static void rfc3339(char *out, size_t n, double t)
{
	time_t s = (time_t)t;
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The identity the product writes: computed here the same way. */
static void identity(void)
{
	char boot[64] = "", ns[64] = "";
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY);
	ssize_t n;

	if (fd >= 0) {
		n = read(fd, boot, sizeof(boot) - 1);
		boot[n > 0 ? n : 0] = '\0';
		boot[strcspn(boot, "\n")] = '\0';
		close(fd);
	}
	n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
	ns[n > 0 ? n : 0] = '\0';
	if (*boot && strchr(ns, '['))
		snprintf(here, sizeof(here), "%s:%.*s", boot,
			 (int)strcspn(strchr(ns, '[') + 1, "]"),
			 strchr(ns, '[') + 1);
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
}

static unsigned long long my_ticks(void)
{
	char buf[1024];
	int fd = open("/proc/self/stat", O_RDONLY), field;
	ssize_t n;
	const char *p;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* A pid that certainly names no process now. */
static long dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return (long)p;
}

/* A marker volume as the engine lists it. */
static cJSON *vol(const char *kind, const char *app, const char *h, long pid,
		  double created, const char *process)
{
	cJSON *v = cJSON_CreateObject(), *l;
	char buf[64];

	cJSON_AddStringToObject(v, "Name", "nd-x-build-000000000000");
	rfc3339(buf, sizeof(buf), created);
	cJSON_AddStringToObject(v, "CreatedAt", buf);
	l = cJSON_AddObjectToObject(v, "Labels");
	cJSON_AddStringToObject(l, "nextdeploy.managed", "true");
	cJSON_AddStringToObject(l, "nextdeploy.app", app);
	cJSON_AddStringToObject(l, "nextdeploy.marker", kind);
	if (h)
		cJSON_AddStringToObject(l, "nextdeploy.marker.host", h);
	snprintf(buf, sizeof(buf), "%ld", pid);
	cJSON_AddStringToObject(l, "nextdeploy.marker.pid", buf);
	snprintf(buf, sizeof(buf), "%.0f", created);
	cJSON_AddStringToObject(l, "nextdeploy.marker.started", buf);
	if (process)
		cJSON_AddStringToObject(l, "nextdeploy.marker.process", process);
	return v;
}

/* The staleness of a marker: "" when live, the reason, or "-" when none. */
static char *judge(cJSON *v, double at)
{
	struct nd_marker_info m;
	char *s;

	if (!nd_marker_parse(&m, v, at)) {
		cJSON_Delete(v);
		return nd_strdup("-");
	}
	s = nd_strdup(m.stale ? m.stale : "");
	nd_marker_info_release(&m);
	cJSON_Delete(v);
	return s;
}

#define CHECK_JUDGE(v, at, want)              \
	do {                                  \
		char *s_ = judge((v), (at));  \
		CHECK_STR(s_, (want));        \
		free(s_);                     \
	} while (0)

TEST(another_host_by_age_only)
{
	long dead = dead_pid();

	/* a pid from elsewhere means nothing here, dead or not */
	CHECK_JUDGE(vol("build", "shop", "elsewhere", dead, now - 60, NULL),
		    now, "");
	CHECK_JUDGE(vol("build", "shop", "elsewhere", dead, now - 5 * 3600, NULL),
		    now, "");
	CHECK_JUDGE(vol("build", "shop", "elsewhere", 1, now - 6 * 3600 - 5, NULL),
		    now, "older than 6 hours");
	CHECK_JUDGE(vol("prune", "shop", "elsewhere", 1, now - 9 * 60, NULL),
		    now, "");
	CHECK_JUDGE(vol("prune", "_all", "elsewhere", 1, now - 11 * 60, NULL),
		    now, "older than 10 minutes");
	/* the age is the engine's: a holder whose clock is off (its started
	 * label says "just now") is still judged by CreatedAt */
	{
		cJSON *v = vol("prune", "shop", "elsewhere", 1, now - 3600, NULL);
		cJSON *l = cJSON_GetObjectItemCaseSensitive(v, "Labels");
		char buf[32];

		snprintf(buf, sizeof(buf), "%.0f", now);
		cJSON_ReplaceItemInObject(l, "nextdeploy.marker.started",
					  cJSON_CreateString(buf));
		CHECK_JUDGE(v, now, "older than 10 minutes");
	}
}

TEST(this_host_by_process)
{
	char me[220], reused[220], other_ns[220];
	long dead = dead_pid();

	if (!*here) {
		printf("# no /proc identity here: skipped\n");
		return;
	}
	snprintf(me, sizeof(me), "%s:%llu", here, my_ticks());
	snprintf(reused, sizeof(reused), "%s:%llu", here, my_ticks() + 1);
	snprintf(other_ns, sizeof(other_ns), "%s9:%llu", here, my_ticks());
	/* this very process: live */
	CHECK_JUDGE(vol("build", "shop", host, (long)getpid(), now, me), now, "");
	/* a process that ended */
	CHECK_JUDGE(vol("build", "shop", host, dead, now, me), now,
		    "its process is gone");
	/* our pid, but started at another time: reused by another process */
	CHECK_JUDGE(vol("build", "shop", host, (long)getpid(), now, reused), now,
		    "its process is gone");
	/* same host name, another pid namespace or boot (a CI job in a
	 * container with the host's name): cannot be told, live */
	CHECK_JUDGE(vol("build", "shop", host, dead, now, other_ns), now, "");
	/* no identity written: the pid on a host of the same name */
	CHECK_JUDGE(vol("prune", "shop", host, dead, now, NULL), now,
		    "its process is gone");
	CHECK_JUDGE(vol("prune", "shop", host, (long)getpid(), now, NULL), now, "");
	/* age first */
	CHECK_JUDGE(vol("prune", "shop", host, (long)getpid(), now - 3600, me),
		    now, "older than 10 minutes");
}

TEST(what_is_a_marker)
{
	cJSON *v = vol("build", "shop", "h", 1, now, NULL);
	cJSON *l = cJSON_GetObjectItemCaseSensitive(v, "Labels");
	struct nd_marker_info m;

	CHECK(nd_marker_volume(v));
	CHECK(nd_marker_parse(&m, v, now));
	CHECK_STR(m.app, "shop");
	CHECK_STR(m.host, "h");
	CHECK_INT(m.pid, 1);
	CHECK_INT(m.kind, ND_MARKER_BUILD);
	nd_marker_info_release(&m);
	/* not ours without the managed label; an unknown kind is nothing */
	cJSON_DeleteItemFromObjectCaseSensitive(l, "nextdeploy.managed");
	CHECK(!nd_marker_parse(&m, v, now));
	cJSON_Delete(v);
	CHECK_JUDGE(vol("bogus", "shop", "h", 1, now, NULL), now, "-");
	v = cJSON_Parse("{\"Name\":\"nd-shop-data\",\"Labels\":{\"nextdeploy.managed\":\"true\",\"nextdeploy.app\":\"shop\"}}");
	CHECK(!nd_marker_volume(v));
	CHECK(!nd_marker_parse(&m, v, now));
	cJSON_Delete(v);
	v = cJSON_Parse("{\"Name\":\"x\",\"Labels\":null}");
	CHECK(!nd_marker_volume(v));
	cJSON_Delete(v);
}

TEST(who_waits_for_whom)
{
	struct nd_marker_info b = { 0 }, p = { 0 }, all = { 0 };

	b.kind = ND_MARKER_BUILD;
	b.app = (char *)"shop";
	p.kind = ND_MARKER_PRUNE;
	p.app = (char *)"shop";
	all.kind = ND_MARKER_PRUNE;
	all.app = (char *)ND_MARKER_ALL_APPS;
	/* a build of shop waits for prunes of shop and of every app */
	CHECK(nd_marker_concerns(&p, ND_MARKER_PRUNE, "shop"));
	CHECK(nd_marker_concerns(&all, ND_MARKER_PRUNE, "shop"));
	CHECK(!nd_marker_concerns(&p, ND_MARKER_PRUNE, "blog"));
	CHECK(!nd_marker_concerns(&b, ND_MARKER_PRUNE, "shop"));
	/* a prune of shop minds builds of shop; --all minds every build */
	CHECK(nd_marker_concerns(&b, ND_MARKER_BUILD, "shop"));
	CHECK(!nd_marker_concerns(&b, ND_MARKER_BUILD, "blog"));
	CHECK(nd_marker_concerns(&b, ND_MARKER_BUILD, NULL));
	CHECK(!nd_marker_concerns(&all, ND_MARKER_BUILD, NULL));
}

int main(void)
{
	now = (double)time(NULL);
	identity();
	RUN(another_host_by_age_only);
	RUN(this_host_by_process);
	RUN(what_is_a_marker);
	RUN(who_waits_for_whom);
	return unit_done();
}
