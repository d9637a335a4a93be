/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/buf.h"
#include "core/marker.h"
#include "core/output.h"
#include "docker/api.h"
#include "docker/engine.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static const char *const STALE_GONE = "its process is gone";
static const char *const STALE_OLD_BUILD = "older than 6 hours";
static const char *const STALE_OLD_PRUNE = "older than 10 minutes";

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- who this process is --- */

static bool read_small(const char *path, char *out, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return false;
	r = read(fd, out, n - 1);
	close(fd);
	if (r <= 0)
		return false;
	out[r] = '\0';
	return true;
}

/* The start time of a process in clock ticks since boot (field 22). */
static bool start_ticks(long pid, unsigned long long *out)
{
	char path[64], buf[1024];
	const char *p;
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!read_small(path, buf, sizeof(buf)))
		return false;
	/* the name (field 2) may hold spaces and parentheses: skip to the
	 * last ')', after which field 3 begins */
	if (!(p = strrchr(buf, ')')))
		return false;
	for (field = 2; field < 22 && *p; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return false;
	}
	*out = strtoull(p + 1, NULL, 10);
	return *out > 0;
}

/*
 * "<boot id>:<pid namespace inode>": where a pid means what it means to
 * us. Empty when /proc cannot tell (then only the host name is compared).
 */
static void where_pids_mean(char *out, size_t n)
{
	char boot[64], ns[64];
	ssize_t len;
	const char *d;

	out[0] = '\0';
	if (!read_small("/proc/sys/kernel/random/boot_id", boot, sizeof(boot)))
		return;
	boot[strcspn(boot, "\n")] = '\0';
	len = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
	if (len <= 0)
		return;
	ns[len] = '\0';
	/* "pid:[4026531836]" */
	if (!(d = strchr(ns, '[')))
		return;
	snprintf(out, n, "%s:%.*s", boot, (int)strcspn(d + 1, "]"), d + 1);
}

static char *host_name(void)
{
	char h[256];

	if (gethostname(h, sizeof(h)) < 0)
		return nd_strdup("unknown");
	h[sizeof(h) - 1] = '\0';
	return nd_strdup(h);
}

/* --- staleness --- */

/*
 * Is the process that made the marker certainly gone? Only judged when
 * its pids mean what ours do: same host name, and same boot and pid
 * namespace when the marker says which.
 */
static bool holder_gone(const char *host, long pid, const char *process)
{
	char here[160];
	char *me = host_name();
	bool same = host && !strcmp(host, me);
	bool gone = false;

	free(me);
	if (!same || pid <= 0)
		return false;
	where_pids_mean(here, sizeof(here));
	if (process && *here) {
		const char *ticks = strrchr(process, ':');
		unsigned long long now_ticks;

		if (!ticks || (size_t)(ticks - process) != strlen(here) ||
		    strncmp(process, here, strlen(here)))
			return false; /* another boot or pid namespace */
		if (!start_ticks(pid, &now_ticks))
			gone = true;
		else /* the pid was reused by another process */
			gone = now_ticks != strtoull(ticks + 1, NULL, 10);
	} else {
		gone = kill((pid_t)pid, 0) < 0 && errno == ESRCH;
	}
	return gone;
}

bool nd_marker_volume(const cJSON *vol)
{
	return nd_json_label(vol, "nextdeploy.marker") != NULL;
}

bool nd_marker_parse(struct nd_marker_info *out, const cJSON *vol, double now)
{
	struct nd_marker_info m = { 0 };
	const char *kind = nd_json_label(vol, "nextdeploy.marker");
	const char *name = nd_json_str(vol, "Name");
	const char *v;
	double created, age_max;

	if (!kind || !name ||
	    !nd_streq(nd_json_label(vol, "nextdeploy.managed"), "true") ||
	    !nd_json_label(vol, "nextdeploy.app"))
		return false;
	if (!strcmp(kind, "build"))
		m.kind = ND_MARKER_BUILD;
	else if (!strcmp(kind, "prune"))
		m.kind = ND_MARKER_PRUNE;
	else
		return false;
	m.name = nd_strdup(name);
	m.app = nd_strdup(nd_json_label(vol, "nextdeploy.app"));
	m.host = nd_strdup_or_null(nd_json_label(vol, "nextdeploy.marker.host"));
	v = nd_json_label(vol, "nextdeploy.marker.pid");
	m.pid = v ? strtol(v, NULL, 10) : 0;
	v = nd_json_label(vol, "nextdeploy.marker.started");
	m.started = v ? strtod(v, NULL) : 0;
	/* the age on the engine's clock; the holder's own only without */
	created = nd_parse_rfc3339(nd_json_str(vol, "CreatedAt"));
	if (created <= 0)
		created = m.started;
	age_max = m.kind == ND_MARKER_BUILD ? ND_MARKER_BUILD_MAX_S :
					      ND_MARKER_PRUNE_MAX_S;
	if (created > 0 && now - created > age_max)
		m.stale = m.kind == ND_MARKER_BUILD ? STALE_OLD_BUILD :
						      STALE_OLD_PRUNE;
	else if (holder_gone(m.host, m.pid,
			     nd_json_label(vol, "nextdeploy.marker.process")))
		m.stale = STALE_GONE;
	*out = m;
	return true;
}

void nd_marker_info_release(struct nd_marker_info *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->app);
	free(m->host);
	memset(m, 0, sizeof(*m));
}

bool nd_marker_concerns(const struct nd_marker_info *m,
			enum nd_marker_kind kind, const char *app)
{
	if (m->kind != kind)
		return false;
	if (!app)
		return true;
	return !strcmp(m->app, app) ||
	       (kind == ND_MARKER_PRUNE && !strcmp(m->app, ND_MARKER_ALL_APPS));
}

char *nd_marker_describe(const struct nd_marker_info *m, double now)
{
	char ago[64] = "at an unknown time";

	if (m->started > 0)
		nd_format_ago(ago, sizeof(ago),
			      now > m->started ? now - m->started : 0);
	return nd_xprintf("pid %ld on %s, started %s", m->pid,
			  m->host ? m->host : "an unknown host", ago);
}

/* --- on the engine --- */

static void random_hex(char *out, size_t nbytes)
{
	unsigned char r[16];
	size_t i;

	if (nbytes > sizeof(r))
		nbytes = sizeof(r);
	if (getrandom(r, nbytes, 0) != (ssize_t)nbytes) {
		/* no entropy source: time and pid still make it unique here */
		unsigned long long x = (unsigned long long)(wall_now() * 1e6) ^
				       ((unsigned long long)getpid() << 40);

		for (i = 0; i < nbytes; i++)
			r[i] = (unsigned char)(x >> (8 * (i % 8)));
	}
	for (i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

int nd_marker_create(struct nd_marker *out, struct nd_engine *e,
		     enum nd_marker_kind kind, const char *app,
		     struct nd_error *err)
{
	const char *kname = kind == ND_MARKER_BUILD ? "build" : "prune";
	char *host = host_name(), *name = NULL;
	char pid[32], started[32], process[200], here[160], hex[13];
	unsigned long long ticks = 0;
	double made = wall_now();
	int tries, r = 0;

	if (kind == ND_MARKER_BUILD && !app)
		BUG("a build marker needs an app");
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	snprintf(started, sizeof(started), "%lld", (long long)made);
	where_pids_mean(here, sizeof(here));
	if (*here && start_ticks((long)getpid(), &ticks))
		snprintf(process, sizeof(process), "%s:%llu", here, ticks);
	else
		process[0] = '\0';
	for (tries = 0; tries < 3; tries++) {
		cJSON *body = cJSON_CreateObject(), *labels, *ans = NULL;
		const cJSON *got;

		random_hex(hex, 6);
		free(name);
		name = app ? nd_xprintf("nd-%s-%s-%s", app, kname, hex) :
			     nd_xprintf("nextdeploy-%s-%s", kname, hex);
		cJSON_AddStringToObject(body, "Name", name);
		labels = cJSON_AddObjectToObject(body, "Labels");
		cJSON_AddStringToObject(labels, "nextdeploy.managed", "true");
		cJSON_AddStringToObject(labels, "nextdeploy.app",
					app ? app : ND_MARKER_ALL_APPS);
		cJSON_AddStringToObject(labels, "nextdeploy.marker", kname);
		cJSON_AddStringToObject(labels, "nextdeploy.marker.host", host);
		cJSON_AddStringToObject(labels, "nextdeploy.marker.pid", pid);
		cJSON_AddStringToObject(labels, "nextdeploy.marker.started",
					started);
		if (*process)
			cJSON_AddStringToObject(
				labels, "nextdeploy.marker.process", process);
		r = nd_engine_call_json(e, "POST", "/volumes/create", body,
					&ans, err);
		cJSON_Delete(body);
		if (r == ND_ECONFLICT) {
			/* Podman: the name exists; try another */
			nd_error_release(err);
			continue;
		}
		if (r < 0)
			break;
		/*
		 * Docker answers a create of an existing name with that
		 * volume: ours only if it carries our pid and start. Twelve
		 * random hex digits make this a formality, but removing a
		 * volume that is not ours later would lose someone's data.
		 */
		got = cJSON_GetObjectItemCaseSensitive(ans, "Labels");
		if (nd_streq(nd_json_str(got, "nextdeploy.marker.pid"), pid) &&
		    nd_streq(nd_json_str(got, "nextdeploy.marker.started"),
			     started) &&
		    nd_streq(nd_json_str(got, "nextdeploy.marker.host"), host)) {
			cJSON_Delete(ans);
			out->e = e;
			out->name = name;
			out->made = made;
			name = NULL;
			goto done;
		}
		cJSON_Delete(ans);
		r = nd_error_set(err, ND_ECONFLICT,
				 "the volume name '%s' is taken", name);
		if (tries < 2)
			nd_error_release(err);
	}
	if (r == 0)
		r = nd_error_set(err, ND_ECONFLICT,
				 "no free name for a %s marker", kname);
done:
	free(name);
	free(host);
	return r;
}

int nd_marker_remove(struct nd_marker *m, struct nd_error *err)
{
	int r;

	if (!m || !m->name)
		return 0;
	r = nd_volume_remove(m->e, m->name, false, err);
	if (r == ND_ENOTFOUND) {
		nd_error_release(err);
		r = 0;
	}
	free(m->name);
	m->name = NULL;
	return r;
}

void nd_marker_list_release(struct nd_marker_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		nd_marker_info_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int nd_markers_list(struct nd_marker_list *out, struct nd_engine *e,
		    const struct nd_marker *mine, struct nd_error *err)
{
	struct nd_filters f = ND_FILTERS_INIT;
	struct nd_marker_list l = ND_MARKER_LIST_INIT;
	const cJSON *vols, *v;
	cJSON *ans = NULL;
	double now = wall_now();
	int r;

	/* one label filter: Podman 4.3 answers [] to two */
	nd_filters_add(&f, "label", "nextdeploy.marker");
	r = nd_volumes_list(e, &f, &ans, err);
	nd_filters_release(&f);
	if (r < 0)
		return r;
	vols = cJSON_GetObjectItemCaseSensitive(ans, "Volumes");
	if (mine && mine->name) {
		cJSON_ArrayForEach(v, vols) {
			double created;

			if (!nd_streq(nd_json_str(v, "Name"), mine->name))
				continue;
			/* the engine's clock, from what it wrote for ours */
			created = nd_parse_rfc3339(nd_json_str(v, "CreatedAt"));
			if (created > 0)
				now = created + (now - mine->made);
			break;
		}
	}
	cJSON_ArrayForEach(v, vols) {
		struct nd_marker_info m;

		if (!nd_marker_parse(&m, v, now))
			continue;
		l.v = nd_realloc(l.v, (l.n + 1) * sizeof(*l.v));
		l.v[l.n++] = m;
	}
	cJSON_Delete(ans);
	*out = l;
	return 0;
}
