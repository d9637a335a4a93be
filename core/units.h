/* SPDX-License-Identifier: MIT */
#ifndef ND_UNITS_H
#define ND_UNITS_H

#include "core/common.h"

/*
 * Go-style durations: "300ms", "2s", "1.5m", "1h30m", "10m". A bare number
 * is refused (ambiguous). Returns 0 and *ms_out, or -1.
 */
int nd_parse_duration_ms(const char *s, int64_t *ms_out);

/*
 * Sizes as docker's RAMInBytes: "512m", "1g", "1.5G", "64MiB", "1024"
 * (bytes). Binary units (k = 1024). Returns 0 and *bytes_out, or -1.
 */
int nd_parse_size(const char *s, int64_t *bytes_out);

/*
 * RFC 3339 as the engine writes it ("2026-11-23T22:15:05.693243593Z", or
 * with a +hh:mm offset), to nanoseconds since the epoch, exactly (a double
 * cannot hold them). 0 for Go's zero time (year 1), -1 when malformed.
 */
int64_t nd_rfc3339_ns(const char *s);
/* The same in seconds, fractional (for ages and ordering). */
double nd_parse_rfc3339(const char *s);

/*
 * A point in time for --since/--until: RFC 3339 ("2026-11-23T10:00:00Z",
 * with or without fraction/offset), a date ("2026-11-23"), Unix seconds
 * ("1795472533.25"), or a duration meaning that long before now ("10m").
 * Returns 0 and *t_out (seconds since the epoch, fractional), or -1.
 */
int nd_parse_time(const char *s, double now, double *t_out);

#endif
