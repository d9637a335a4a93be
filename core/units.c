/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/units.h"

#include <ctype.h>
#include <math.h>
#include <time.h>

int nd_parse_duration_ms(const char *s, int64_t *ms_out)
{
	double total = 0;
	const char *p = s;

	if (!s || !*s)
		return -1;
	if (!strcmp(s, "0")) {
		*ms_out = 0;
		return 0;
	}
	while (*p) {
		char *end;
		double v;
		double unit;

		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
		v = strtod(p, &end);
		if (end == p)
			return -1;
		p = end;
		if (!strncmp(p, "ms", 2)) {
			unit = 1;
			p += 2;
		} else if (!strncmp(p, "us", 2)) {
			unit = 0.001;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else if (*p == 'd') {
			unit = 86400000;
			p++;
		} else {
			return -1; /* a unit is required */
		}
		total += v * unit;
	}
	if (total > 9.2e15)
		return -1;
	*ms_out = (int64_t)llround(total);
	return 0;
}

int nd_parse_size(const char *s, int64_t *bytes_out)
{
	char *end;
	double v;
	double mult = 1;
	char unit[8];
	size_t n = 0;

	if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -1;
	v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	while (*end == ' ')
		end++;
	for (; *end && n + 1 < sizeof(unit); end++)
		unit[n++] = (char)tolower((unsigned char)*end);
	unit[n] = '\0';
	if (*end)
		return -1;
	/* accept k, kb, kib (all binary, as docker does) */
	if (n && unit[n - 1] == 'b' && n > 1)
		unit[--n] = '\0';
	if (n == 2 && unit[1] == 'i')
		unit[--n] = '\0';
	if (n == 0 || !strcmp(unit, "b"))
		mult = 1;
	else if (!strcmp(unit, "k"))
		mult = 1024.0;
	else if (!strcmp(unit, "m"))
		mult = 1024.0 * 1024;
	else if (!strcmp(unit, "g"))
		mult = 1024.0 * 1024 * 1024;
	else if (!strcmp(unit, "t"))
		mult = 1024.0 * 1024 * 1024 * 1024;
	else
		return -1;
	if (v * mult > 9.2e18)
		return -1;
	*bytes_out = (int64_t)(v * mult);
	return 0;
}

int64_t nd_rfc3339_ns(const char *s)
{
	struct tm tm;
	const char *p;
	int64_t frac = 0, scale = 100000000, off = 0;
	time_t t;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh = 0, mm = 0;

		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
			return -1;
		off = (hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	if (tm.tm_year < 2) /* Go's zero time, year 1 */
		return 0;
	t = timegm(&tm);
	return ((int64_t)t - off) * 1000000000 + frac;
}

double nd_parse_rfc3339(const char *s)
{
	int64_t ns = nd_rfc3339_ns(s);

	return ns < 0 ? -1 : (double)ns / 1e9;
}

int nd_parse_time(const char *s, double now, double *t_out)
{
	struct tm tm;
	const char *p;
	int64_t ms, ns;
	char buf[64];

	if (!s || !*s)
		return -1;
	if (nd_parse_duration_ms(s, &ms) == 0) {
		*t_out = now - (double)ms / 1000.0;
		return 0;
	}
	/* Unix seconds, optionally fractional */
	{
		char *end;
		double v = strtod(s, &end);

		if (end != s && !*end && isdigit((unsigned char)*s)) {
			*t_out = v;
			return 0;
		}
	}
	/* a date, or RFC 3339 (' ' for 'T', and minutes without seconds too) */
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p)
		return -1;
	if (!*p) {
		*t_out = (double)timegm(&tm);
		return 0;
	}
	if ((*p != 'T' && *p != ' ') || strlen(s) + 4 >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%.*sT%s", (int)(p - s), s, p + 1);
	/* 2026-11-23T10:00 -> 2026-11-23T10:00:00 */
	if (strlen(p + 1) >= 5 && p[3] == ':' && !(p[6] == ':')) {
		size_t at = (size_t)(p - s) + 6;

		snprintf(buf + at, sizeof(buf) - at, ":00%s", p + 6);
	}
	if (!strpbrk(buf + (p - s), "Zz+") && !strchr(buf + (p - s) + 1, '-')) {
		/* no zone: UTC */
		size_t n = strlen(buf);

		buf[n] = 'Z';
		buf[n + 1] = '\0';
	}
	ns = nd_rfc3339_ns(buf);
	if (ns < 0)
		return -1;
	*t_out = (double)ns / 1e9;
	return 0;
}
