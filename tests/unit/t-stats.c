/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the stats math with real samples of Docker 20.10 (cgroup
 * v1) and derived cgroup v2 / Podman shapes: tests/data/stats/README.
 */
#include "tests/unit/unit.h"
#include "docker/stats.h"

#include <cjson/cJSON.h>
#include <math.h>

#define DIR "../data/stats/"

static cJSON *load(const char *name)
{
	char path[256];
	char *data;
	cJSON *doc;

	snprintf(path, sizeof(path), DIR "%s", name);
	data = unit_read_file(path, NULL);
	if (!data) {
		UNIT_FAIL("cannot read %s", path);
		return NULL;
	}
	doc = cJSON_Parse(data);
	free(data);
	if (!doc)
		UNIT_FAIL("%s is not JSON", path);
	return doc;
}

static void sample(struct nd_stats_sample *s, const char *name)
{
	cJSON *doc = load(name);

	nd_stats_parse(s, doc);
	cJSON_Delete(doc);
}

#define CHECK_NEAR(got, want, eps)                                           \
	do {                                                                 \
		double g_ = (got), w_ = (want);                              \
		if (!(fabs(g_ - w_) <= (eps)))                               \
			UNIT_FAIL("%s = %.6f, want %.6f ± %g", #got, g_, w_, \
				  (double)(eps));                            \
	} while (0)

TEST(rfc3339_nanoseconds_exact)
{
	CHECK(nd_rfc3339_ns("2026-11-24T00:12:48.072487704Z") ==
	      INT64_C(1795479168072487704));
	CHECK(nd_rfc3339_ns("2026-11-24T00:12:48Z") ==
	      INT64_C(1795479168000000000));
	/* a shorter fraction, an offset */
	CHECK(nd_rfc3339_ns("2026-11-24T01:12:48.5+01:00") ==
	      INT64_C(1795479168500000000));
	CHECK_INT(nd_rfc3339_ns("0001-01-01T00:00:00Z"), 0);
	CHECK_INT(nd_rfc3339_ns("yesterday"), -1);
	CHECK_INT(nd_rfc3339_ns(NULL), -1);
}

TEST(cpu_from_two_oneshot_samples)
{
	struct nd_stats_sample a, b;

	sample(&a, "docker-v1-oneshot-1.json");
	sample(&b, "docker-v1-oneshot-2.json");
	CHECK(a.running && b.running);
	CHECK(!a.has_pre); /* one-shot: precpu empty */
	CHECK_INT(nd_stats_cpu_percent_pre(&a), -1);
	/* 0.5 CPU busy loop: (2218602716 - 1720923204) / 1012742448 ns */
	CHECK_NEAR(nd_stats_cpu_percent(&a, &b), 49.1418, 0.001);
	/* wrong order or the same sample twice: no figure */
	CHECK_INT(nd_stats_cpu_percent(&b, &a), -1);
	CHECK_INT(nd_stats_cpu_percent(&a, &a), -1);
}

TEST(cpu_from_stream_frames)
{
	char *data = unit_read_file(DIR "docker-v1-stream.jsonl", NULL);
	struct nd_stats_sample s[4];
	char *line, *save = NULL;
	int n = 0, i;

	for (line = data ? strtok_r(data, "\n", &save) : NULL; line && n < 4;
	     line = strtok_r(NULL, "\n", &save)) {
		cJSON *doc = cJSON_Parse(line);

		nd_stats_parse(&s[n++], doc);
		cJSON_Delete(doc);
	}
	free(data);
	CHECK_INT(n, 4);
	if (n != 4)
		return;
	/* the first frame has no precpu; later ones carry the previous */
	CHECK(!s[0].has_pre);
	for (i = 1; i < 4; i++) {
		double own = nd_stats_cpu_percent(&s[i - 1], &s[i]);
		double pre = nd_stats_cpu_percent_pre(&s[i]);

		CHECK_NEAR(own, 50.0, 0.5);
		CHECK_NEAR(own, pre, 1e-9);
	}
}

TEST(cpu_podman_wall_clock)
{
	struct nd_stats_sample a, b;
	char buf[32];

	sample(&a, "podman-1.json");
	sample(&b, "podman-2.json");
	/* 2.5 s of CPU in 5 s: 50 %, where Docker's system-CPU formula
	 * (Δcpu/Δsystem × ncpu) would say 2.5/4 × 2 = 125 % */
	CHECK_NEAR(nd_stats_cpu_percent(&a, &b), 50.0, 1e-9);
	CHECK_INT(nd_stats_cpu_percent_pre(&b), -1);
	/* Podman's first stream frame: a "previous" reading 3 ms older
	 * with the same counter is no figure (not 0.00%) */
	{
		struct nd_stats_sample f = b;

		f.has_pre = true;
		f.preread_ns = f.read_ns - 2582924;
		f.precpu_ns = f.cpu_ns;
		CHECK_INT(nd_stats_cpu_percent_pre(&f), -1);
		f.preread_ns = f.read_ns - 1000000000;
		CHECK_NEAR(nd_stats_cpu_percent_pre(&f), 0.0, 1e-9);
	}
	/* no stats map: nothing subtracted */
	CHECK(b.has_mem);
	CHECK_NEAR(b.mem_used, 2351104, 0);
	nd_stats_fmt_mem(buf, sizeof(buf), &b);
	CHECK_STR(buf, "2.242MiB / 128MiB");
}

TEST(cpu_stopped_and_restarted)
{
	struct nd_stats_sample a, st;

	sample(&a, "docker-v1-oneshot-1.json");
	sample(&st, "docker-stopped.json");
	CHECK(!st.running);
	CHECK(!st.has_mem && !st.has_net && !st.has_blk && !st.has_pids);
	CHECK_INT(nd_stats_cpu_percent(&a, &st), -1);
	CHECK_INT(nd_stats_cpu_percent(&st, &a), -1);
	/* a restart resets the counter: never a negative figure */
	{
		struct nd_stats_sample later = a;

		later.read_ns += 1000000000;
		later.cpu_ns = 1000;
		CHECK_INT(nd_stats_cpu_percent(&a, &later), -1);
	}
}

TEST(memory_v1_inactive_file)
{
	struct nd_stats_sample s;
	char buf[64];

	/* docker stats showed "1.41MiB / 256MiB   0.55%" for this sample */
	sample(&s, "docker-v1-inactive-file.json");
	CHECK_NEAR(s.mem_used, 43421696 - 41943040, 0);
	nd_stats_fmt_mem(buf, sizeof(buf), &s);
	CHECK_STR(buf, "1.41MiB / 256MiB");
	nd_stats_fmt_percent(buf, sizeof(buf), nd_stats_mem_percent(&s));
	CHECK_STR(buf, "0.55%");
}

TEST(memory_v1_real_samples_match_docker_cli)
{
	struct nd_stats_sample s;
	char buf[64];

	/* docker stats: "31.59MiB / 256MiB  12.34%" */
	sample(&s, "docker-v1-memlimit.json");
	nd_stats_fmt_mem(buf, sizeof(buf), &s);
	CHECK_STR(buf, "31.59MiB / 256MiB");
	nd_stats_fmt_percent(buf, sizeof(buf), nd_stats_mem_percent(&s));
	CHECK_STR(buf, "12.34%");
	/* docker stats: "640KiB / 23.54GiB  0.00%" (no limit: host memory) */
	sample(&s, "docker-v1-nostream.json");
	nd_stats_fmt_mem(buf, sizeof(buf), &s);
	CHECK_STR(buf, "640KiB / 23.54GiB");
	nd_stats_fmt_percent(buf, sizeof(buf), nd_stats_mem_percent(&s));
	CHECK_STR(buf, "0.00%");
	CHECK(s.has_pids);
	nd_stats_fmt_pids(buf, sizeof(buf), &s);
	CHECK_STR(buf, "1");
}

TEST(memory_v2_and_io_sums)
{
	struct nd_stats_sample s;
	char buf[64];

	sample(&s, "v2-derived.json");
	/* 100 MiB usage - 32 MiB inactive_file */
	CHECK_NEAR(s.mem_used, 68 * 1048576.0, 0);
	nd_stats_fmt_mem(buf, sizeof(buf), &s);
	CHECK_STR(buf, "68MiB / 512MiB");
	nd_stats_fmt_percent(buf, sizeof(buf), nd_stats_mem_percent(&s));
	CHECK_STR(buf, "13.28%");
	/* two networks summed */
	CHECK_NEAR(s.net_rx, 2000, 0);
	CHECK_NEAR(s.net_tx, 1000, 0);
	nd_stats_fmt_io(buf, sizeof(buf), s.has_net, s.net_rx, s.net_tx);
	CHECK_STR(buf, "2kB / 1kB");
	/* lowercase v2 ops over two devices */
	CHECK_NEAR(s.blk_read, 1048576 + 4096, 0);
	CHECK_NEAR(s.blk_write, 2097152, 0);
	nd_stats_fmt_io(buf, sizeof(buf), s.has_blk, s.blk_read, s.blk_write);
	CHECK_STR(buf, "1.05MB / 2.1MB");
	/* the sample's own precpu: 0.25 s in 1 s */
	CHECK_NEAR(nd_stats_cpu_percent_pre(&s), 25.0, 1e-9);
	nd_stats_fmt_pids(buf, sizeof(buf), &s);
	CHECK_STR(buf, "7");
}

TEST(blkio_v1_counts_read_and_write_only)
{
	struct nd_stats_sample s;
	char buf[64];

	sample(&s, "v1-blkio-derived.json");
	/* Sync, Async, Discard and Total are never added */
	CHECK_NEAR(s.blk_read, 3000000, 0);
	CHECK_NEAR(s.blk_write, 5000, 0);
	nd_stats_fmt_io(buf, sizeof(buf), s.has_blk, s.blk_read, s.blk_write);
	CHECK_STR(buf, "3MB / 5kB");
	/* the real sample: empty list is 0B, not "--" */
	sample(&s, "docker-v1-memlimit.json");
	CHECK(s.has_blk);
	nd_stats_fmt_io(buf, sizeof(buf), s.has_blk, s.blk_read, s.blk_write);
	CHECK_STR(buf, "0B / 0B");
	/* docker stats: "724B / 158B" a little later; here 612B / 116B */
	nd_stats_fmt_io(buf, sizeof(buf), s.has_net, s.net_rx, s.net_tx);
	CHECK_STR(buf, "612B / 116B");
}

TEST(formatting)
{
	char buf[32];
	struct nd_stats_sample none;

	nd_stats_fmt_percent(buf, sizeof(buf), -1);
	CHECK_STR(buf, "--");
	nd_stats_fmt_percent(buf, sizeof(buf), NAN);
	CHECK_STR(buf, "--");
	nd_stats_fmt_percent(buf, sizeof(buf), 49.876);
	CHECK_STR(buf, "49.88%");
	nd_stats_fmt_percent(buf, sizeof(buf), 150);
	CHECK_STR(buf, "150.00%");
	nd_stats_fmt_si(buf, sizeof(buf), 0);
	CHECK_STR(buf, "0B");
	nd_stats_fmt_si(buf, sizeof(buf), 1680);
	CHECK_STR(buf, "1.68kB");
	nd_stats_fmt_si(buf, sizeof(buf), 999.9);
	CHECK_STR(buf, "1kB");
	nd_stats_fmt_si(buf, sizeof(buf), 999499);
	CHECK_STR(buf, "999kB");
	nd_stats_fmt_si(buf, sizeof(buf), 999999);
	CHECK_STR(buf, "1MB");
	nd_stats_fmt_si(buf, sizeof(buf), 123456789012.0);
	CHECK_STR(buf, "123GB");
	memset(&none, 0, sizeof(none));
	nd_stats_fmt_mem(buf, sizeof(buf), &none);
	CHECK_STR(buf, "-- / --");
	nd_stats_fmt_io(buf, sizeof(buf), false, 1, 2);
	CHECK_STR(buf, "-- / --");
	nd_stats_fmt_pids(buf, sizeof(buf), &none);
	CHECK_STR(buf, "--");
	CHECK_INT(nd_stats_mem_percent(&none), -1);
}

TEST(missing_members_never_crash)
{
	const char *docs[] = { "{}", "[]", "null", "{\"read\":5}",
			       "{\"read\":\"2026-11-24T00:00:00Z\",\"memory_stats\":{\"usage\":\"x\"},"
			       "\"networks\":[1],\"blkio_stats\":{\"io_service_bytes_recursive\":[{\"op\":1},{}]},"
			       "\"pids_stats\":{\"current\":null}}" };
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(docs); i++) {
		cJSON *d = cJSON_Parse(docs[i]);
		struct nd_stats_sample s;

		nd_stats_parse(&s, d);
		CHECK(!s.has_mem && !s.has_pids && !s.has_net);
		cJSON_Delete(d);
	}
}

int main(void)
{
	RUN(rfc3339_nanoseconds_exact);
	RUN(cpu_from_two_oneshot_samples);
	RUN(cpu_from_stream_frames);
	RUN(cpu_podman_wall_clock);
	RUN(cpu_stopped_and_restarted);
	RUN(memory_v1_inactive_file);
	RUN(memory_v1_real_samples_match_docker_cli);
	RUN(memory_v2_and_io_sums);
	RUN(blkio_v1_counts_read_and_write_only);
	RUN(formatting);
	RUN(missing_members_never_crash);
	return unit_done();
}
