/* SPDX-License-Identifier: MIT */
#ifndef ND_EVENTS_H
#define ND_EVENTS_H

#include "core/common.h"
#include "core/buf.h"
#include "core/error.h"
#include "docker/engine.h"

struct cJSON;

/*
 * Engine events (GET /events), see ../shared/engine-api/NOTES.md §9 and
 * §13.2:
 * - a container's labels are copied into Actor.Attributes (image events
 *   other than delete carry the image's labels the same way); network
 *   events carry none, only the network's name;
 * - actions may carry a suffix after ": " ("health_status: healthy",
 *   "exec_start: sh -c ..."): the action is the part before it;
 * - Podman says "remove" where Docker says "destroy", and puts the exit
 *   code in containerExitCode;
 * - timeNano (~1.8e18) is not exact in a double: it is read from the raw
 *   text of the line.
 */
struct nd_event {
	int64_t time_ns; /* nanoseconds since the epoch */
	char *type;	 /* container, image, network, volume, ... */
	char *action;	 /* without the ": ..." suffix */
	char *detail;	 /* the suffix (health status, exec command), or NULL */
	char *id;	 /* Actor.ID */
	char *name;	 /* container/network name, image reference */
	bool managed;	 /* nextdeploy.managed=true */
	char *app, *service, *release; /* the labels, or NULL */
	char *image;		       /* a container's image */
	bool has_exit_code;
	int exit_code;	 /* die */
	char *health;	 /* health_status */
	char *signal;	 /* kill */
	char *container; /* network connect/disconnect: the container's ID */
};
#define ND_EVENT_INIT \
	{             \
		0     \
	}

/*
 * Parse one line of the stream. ND_EGENERIC when it is not an event
 * object. podman: map its action names to Docker's.
 */
int nd_event_parse(struct nd_event *out, const char *line, size_t len,
		   bool podman, struct nd_error *err);
void nd_event_release(struct nd_event *ev);

/*
 * Whether an event is about the app's resources: a container or image
 * carrying nextdeploy.managed=true and nextdeploy.app=<app>, or the
 * project network nd-<app>.
 */
bool nd_event_matches(const struct nd_event *ev, const char *app);

/* Exec events: three per health-check interval; hidden unless asked for. */
bool nd_event_is_exec(const struct nd_event *ev);

/*
 * One readable line (no newline), time in the local zone with
 * milliseconds:
 *   2026-11-24T00:13:03.893Z container die nd-shop-web-r1 service=web release=r1 exit_code=3
 * Engine text is sanitized. name_of (may be NULL) turns a container ID into
 * a name for network events.
 */
void nd_event_format(struct nd_buf *out, const struct nd_event *ev,
		     const char *container_name);

/*
 * The event as JSON with stable keys: time (RFC 3339, UTC, nanoseconds),
 * type, action, detail, id, name, app, service, release, image, exit_code,
 * health, signal, container; null where not applicable.
 */
struct cJSON *nd_event_json(const struct nd_event *ev);

/* What to ask the engine for. */
struct nd_events_query {
	double since; /* Unix seconds; 0: from now */
	double until; /* Unix seconds; 0: no end (stream until interrupted) */
	/* the `type` filter values (NULL-terminated; NULL: all types) */
	const char *const *types;
};

/* Return < 0 to stop the stream (that code is returned). */
typedef int (*nd_event_fn)(const struct nd_event *ev, void *ud);

/*
 * GET /events and hand every event (unfiltered: the caller decides with
 * nd_event_matches) to fn, streaming, until the engine ends the stream
 * (0; with `until` that is the normal end), fn returns < 0, or Ctrl-C
 * (nd_signal_caught(): ND_EINTERRUPTED).
 */
int nd_events_stream(struct nd_engine *e, const struct nd_events_query *q,
		     nd_event_fn fn, void *ud, struct nd_error *err);

#endif
