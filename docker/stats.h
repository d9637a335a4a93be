/* SPDX-License-Identifier: MIT */
#ifndef ND_STATS_H
#define ND_STATS_H

#include "core/common.h"
#include "core/units.h"
#include "core/error.h"
#include "docker/engine.h"

struct cJSON;

/*
 * Container resource usage (GET /containers/{id}/stats), see
 * ../shared/engine-api/NOTES.md §8.
 *
 * The math is the docker CLI's (cli/command/container/stats_helpers.go)
 * except for CPU: the CLI divides by the change of system_cpu_usage, which
 * is the host's CPU time on Docker but the container cgroup's own active
 * time on Podman (NOTES §13.2: 62.6 % and 78.7 % shown for a container
 * limited to 50 %). We keep each container's previous sample ourselves and
 * use the wall clock the engine stamped on the samples:
 *
 *	CPU% = Δ cpu_stats.cpu_usage.total_usage (ns) / Δ read (ns) × 100
 *
 * which equals the CLI's figure on Docker (system Δ ≈ wall Δ × CPUs) and
 * is right on Podman. 100 % is one full CPU, like docker stats.
 */

/* One sample, reduced to what the table shows. */
struct nd_stats_sample {
	bool running;	 /* `read` is set: the container was running */
	int64_t read_ns; /* `read`, nanoseconds since the epoch */
	double cpu_ns;	 /* cpu_stats.cpu_usage.total_usage */
	/* the engine's own previous sample (stream frames after the first,
	 * stream=false on Docker); has_pre is false when precpu is empty */
	bool has_pre;
	int64_t preread_ns;
	double precpu_ns;

	bool has_mem;	  /* memory_stats.usage present */
	double mem_used;  /* usage minus inactive file pages */
	double mem_limit; /* 0: unknown or unlimited */
	bool has_net;
	double net_rx, net_tx;
	bool has_blk;
	double blk_read, blk_write;
	bool has_pids;
	double pids;
};

/*
 * Reduce a stats document. Never fails on missing members: what is absent
 * is flagged (has_*), and a stopped container's all-zero sample gives
 * running = false.
 */
void nd_stats_parse(struct nd_stats_sample *out, const struct cJSON *doc);

/*
 * Memory in use as the docker CLI ≥ 20.10 counts it: usage minus
 * stats.total_inactive_file (cgroup v1) or stats.inactive_file (v2) when
 * that is smaller than usage; usage alone otherwise (Podman sends no stats
 * map). Returns -1 when memory_stats has no usage.
 */
double nd_stats_mem_used(const struct cJSON *memory_stats);

/*
 * CPU % between two samples of one container (prev older than cur), or -1
 * when it cannot be computed: either sample not running, less than 100 ms
 * between them, or the counter going backwards (the container restarted).
 */
double nd_stats_cpu_percent(const struct nd_stats_sample *prev,
			    const struct nd_stats_sample *cur);
/* The same from a sample's own precpu/preread (-1 when it has none). */
double nd_stats_cpu_percent_pre(const struct nd_stats_sample *s);
/* Memory % of the limit, or -1 when there is no usable limit. */
double nd_stats_mem_percent(const struct nd_stats_sample *s);

/*
 * Display, as docker stats: "49.88%" (%.2f), memory in binary units with 4
 * significant digits ("31.59MiB / 256MiB"), I/O in decimal units with 3
 * ("724B / 1.68kB"), "--" for what cannot be shown.
 */
void nd_stats_fmt_percent(char *out, size_t n, double pct);
void nd_stats_fmt_mem(char *out, size_t n, const struct nd_stats_sample *s);
void nd_stats_fmt_io(char *out, size_t n, bool ok, double a, double b);
void nd_stats_fmt_pids(char *out, size_t n, const struct nd_stats_sample *s);
/*
 * Decimal size with 3 significant digits that never prints an exponent
 * (Go's %.3g turns 999.9 into "1e+03", which docker stats shows as is):
 * 999.9 → "1kB".
 */
void nd_stats_fmt_si(char *out, size_t n, double bytes);

/*
 * Concurrent stats requests over curl_multi: one connection per container,
 * so 20 containers cost about as much as one (TESTBED.md §7: sequential
 * requests take ~1–2 s each on Docker 20.10).
 *
 * Each request is either a stream (stream=1: one frame per second until
 * the container stops or the connection is removed) or a single sample
 * (stream=0, with one-shot=1 from API 1.41: no precpu, no 2 s wait). Every
 * decoded frame goes to on_frame; when a request ends (EOF, error, HTTP
 * error, timeout) on_end gets 0 or a negative ND_E* code with err filled.
 * Callbacks run inside nd_stats_multi_run().
 */
typedef void (*nd_stats_frame_fn)(const char *id, const struct cJSON *frame,
				  void *ud);
typedef void (*nd_stats_end_fn)(const char *id, int result,
				const struct nd_error *err, void *ud);

struct nd_stats_multi;

struct nd_stats_multi *nd_stats_multi_new(struct nd_engine *e,
					  nd_stats_frame_fn on_frame,
					  nd_stats_end_fn on_end, void *ud);
void nd_stats_multi_free(struct nd_stats_multi *m);
/*
 * Start a request for container id (an ID or a name). timeout_ms bounds
 * the whole request (0: none; streams normally use none).
 */
int nd_stats_multi_add(struct nd_stats_multi *m, const char *id, bool stream,
		       long timeout_ms, struct nd_error *err);
/* Drop a container's request (no on_end call). */
void nd_stats_multi_remove(struct nd_stats_multi *m, const char *id);
bool nd_stats_multi_has(const struct nd_stats_multi *m, const char *id);
/* Requests still running. */
size_t nd_stats_multi_active(const struct nd_stats_multi *m);
/*
 * Move the transfers along for at most timeout_ms (returns earlier when a
 * signal arrives or nothing is running). Fails only when libcurl does.
 */
int nd_stats_multi_run(struct nd_stats_multi *m, long timeout_ms,
		       struct nd_error *err);

#endif
