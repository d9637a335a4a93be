/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "docker/stream.h"

#include <cjson/cJSON.h>

#define JSONL_LINE_CAP ((size_t)16 << 20)
#define LINE_CAP ((size_t)1 << 20)

void nd_jsonl_init(struct nd_jsonl *j, nd_jsonl_fn on_msg, void *ud,
		   struct nd_error *err)
{
	nd_buf_init(&j->line, JSONL_LINE_CAP);
	j->on_msg = on_msg;
	j->ud = ud;
	j->err = err;
}

static int jsonl_line(struct nd_jsonl *j, const char *s, size_t len)
{
	cJSON *msg;
	int r;

	while (len && (s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	if (!len)
		return 0;
	msg = cJSON_ParseWithLength(s, len);
	if (!msg) {
		return nd_error_set(
			j->err, ND_EGENERIC,
			"the engine sent a line that is not JSON: %.*s",
			(int)(len > 200 ? 200 : len), s);
	}
	r = j->on_msg(msg, j->ud);
	cJSON_Delete(msg);
	return r;
}

int nd_jsonl_feed(struct nd_jsonl *j, const char *data, size_t len)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		int r;

		if (nl && !j->line.len) {
			/* a whole line in the input: no copy */
			r = jsonl_line(j, data, n);
		} else {
			if (nd_buf_add(&j->line, data, n) < 0)
				return nd_error_set(
					j->err, ND_EGENERIC,
					"a message from the engine is longer than %zu bytes",
					j->line.cap);
			r = 0;
			if (nl) {
				r = jsonl_line(j, j->line.buf, j->line.len);
				nd_buf_reset(&j->line);
			}
		}
		if (r < 0)
			return r;
		if (!nl)
			break;
		data += n + 1;
		len -= n + 1;
	}
	return 0;
}

int nd_jsonl_finish(struct nd_jsonl *j)
{
	int r = 0;

	if (j->line.len)
		r = jsonl_line(j, j->line.buf, j->line.len);
	nd_buf_reset(&j->line);
	return r;
}

void nd_jsonl_release(struct nd_jsonl *j)
{
	nd_buf_release(&j->line);
}

int nd_jsonl_write(const char *data, size_t len, void *ud)
{
	return nd_jsonl_feed(ud, data, len);
}

void nd_demux_init(struct nd_demux *d, bool tty, nd_frame_fn on_frame, void *ud,
		   struct nd_error *err)
{
	memset(d, 0, sizeof(*d));
	d->tty = tty;
	d->on_frame = on_frame;
	d->ud = ud;
	d->err = err;
}

int nd_demux_feed(struct nd_demux *d, const char *data, size_t len)
{
	if (d->tty)
		return len ? d->on_frame(ND_STREAM_STDOUT, data, len, d->ud) :
			     0;
	while (len) {
		if (!d->remaining) {
			size_t need = 8 - d->hdr_len;
			size_t take = len < need ? len : need;

			memcpy(d->hdr + d->hdr_len, data, take);
			d->hdr_len += take;
			data += take;
			len -= take;
			if (d->hdr_len < 8)
				break;
			d->hdr_len = 0;
			if (d->hdr[0] > 3 || d->hdr[1] || d->hdr[2] || d->hdr[3])
				return nd_error_set(
					d->err, ND_EGENERIC,
					"malformed stream from the engine (frame header %02x %02x %02x %02x)",
					d->hdr[0], d->hdr[1], d->hdr[2],
					d->hdr[3]);
			d->stream = d->hdr[0] == ND_STREAM_STDIN ?
					    ND_STREAM_STDOUT :
					    d->hdr[0];
			d->remaining = (uint32_t)d->hdr[4] << 24 |
				       (uint32_t)d->hdr[5] << 16 |
				       (uint32_t)d->hdr[6] << 8 |
				       (uint32_t)d->hdr[7];
			continue;
		}
		{
			size_t take = len < d->remaining ? len : d->remaining;
			int r = d->on_frame(d->stream, data, take, d->ud);

			if (r < 0)
				return r;
			d->remaining -= (uint32_t)take;
			data += take;
			len -= take;
		}
	}
	return 0;
}

int nd_demux_finish(struct nd_demux *d)
{
	if (d->tty)
		return 0;
	if (d->hdr_len || d->remaining)
		return nd_error_set(
			d->err, ND_EGENERIC,
			"the engine's stream ended in the middle of a frame");
	return 0;
}

int nd_demux_write(const char *data, size_t len, void *ud)
{
	return nd_demux_feed(ud, data, len);
}

void nd_lines_init(struct nd_lines *l, nd_line_fn on_line, void *ud)
{
	nd_buf_init(&l->buf, LINE_CAP);
	l->on_line = on_line;
	l->ud = ud;
}

int nd_lines_feed(struct nd_lines *l, const char *data, size_t len)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		int r = 0;

		if (nl && !l->buf.len) {
			r = l->on_line(data, n, true, l->ud);
		} else {
			size_t room = LINE_CAP - l->buf.len;

			if (n > room) {
				/* an endless line: hand out what we have */
				nd_buf_add(&l->buf, data, room);
				r = l->on_line(l->buf.buf, l->buf.len, false,
					       l->ud);
				nd_buf_reset(&l->buf);
				if (r < 0)
					return r;
				data += room;
				len -= room;
				continue;
			}
			nd_buf_add(&l->buf, data, n);
			if (nl) {
				r = l->on_line(l->buf.buf, l->buf.len, true,
					       l->ud);
				nd_buf_reset(&l->buf);
			}
		}
		if (r < 0)
			return r;
		if (!nl)
			break;
		data += n + 1;
		len -= n + 1;
	}
	return 0;
}

int nd_lines_flush(struct nd_lines *l)
{
	int r = 0;

	if (l->buf.len)
		r = l->on_line(l->buf.buf, l->buf.len, false, l->ud);
	nd_buf_reset(&l->buf);
	return r;
}

void nd_lines_release(struct nd_lines *l)
{
	nd_buf_release(&l->buf);
}
