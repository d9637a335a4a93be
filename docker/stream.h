/* SPDX-License-Identifier: MIT */
#ifndef ND_STREAM_H
#define ND_STREAM_H

#include "core/common.h"
#include "core/buf.h"
#include "core/error.h"

struct cJSON;

/*
 * Decoders for the engine's streams, fed with whatever each libcurl write
 * callback delivers (a message can be split across callbacks, and several
 * can arrive in one).
 */

/*
 * JSON lines (build, pull, push, events): buffer to '\n', strip '\r', parse,
 * hand each object to on_msg. A line longer than the cap, or one that is not
 * JSON, is an error. Call nd_jsonl_finish at EOF to flush a last line
 * without a newline.
 */
typedef int (*nd_jsonl_fn)(struct cJSON *msg, void *ud);

struct nd_jsonl {
	struct nd_buf line;
	nd_jsonl_fn on_msg;
	void *ud;
	struct nd_error *err; /* where a decode error goes */
};

void nd_jsonl_init(struct nd_jsonl *j, nd_jsonl_fn on_msg, void *ud,
		   struct nd_error *err);
/* Feed bytes; returns < 0 on a decode error or when on_msg returned < 0. */
int nd_jsonl_feed(struct nd_jsonl *j, const char *data, size_t len);
int nd_jsonl_finish(struct nd_jsonl *j);
void nd_jsonl_release(struct nd_jsonl *j);
/* An nd_write_fn for nd_req.write_fn: ud is the struct nd_jsonl. */
int nd_jsonl_write(const char *data, size_t len, void *ud);

/*
 * Multiplexed frames (logs and exec without a TTY; NOTES.md §2.1): an 8-byte
 * header (stream type, 3 zero bytes, big-endian uint32 length), then the
 * payload. Frames may be split anywhere and need not end at a line. Stream
 * 0 (stdin) is delivered as stdout; stream 3 is an error text from the
 * daemon, reported through on_frame with stream 3.
 *
 * With tty set, bytes are passed through raw as stream 1.
 */
enum nd_stream_id {
	ND_STREAM_STDIN = 0,
	ND_STREAM_STDOUT = 1,
	ND_STREAM_STDERR = 2,
	ND_STREAM_SYSERR = 3,
};

typedef int (*nd_frame_fn)(int stream, const char *data, size_t len, void *ud);

struct nd_demux {
	bool tty;
	unsigned char hdr[8];
	size_t hdr_len;	    /* header bytes collected so far */
	uint32_t remaining; /* payload bytes left in the current frame */
	int stream;
	nd_frame_fn on_frame;
	void *ud;
	struct nd_error *err;
};

void nd_demux_init(struct nd_demux *d, bool tty, nd_frame_fn on_frame, void *ud,
		   struct nd_error *err);
/*
 * Feed bytes. Payload is delivered as it arrives (a frame may be delivered
 * in several pieces; never buffered whole). Returns < 0 on a malformed
 * header or when on_frame returned < 0.
 */
int nd_demux_feed(struct nd_demux *d, const char *data, size_t len);
/* At EOF: an error when a frame was cut short. */
int nd_demux_finish(struct nd_demux *d);
/* An nd_write_fn: ud is the struct nd_demux. */
int nd_demux_write(const char *data, size_t len, void *ud);

/*
 * Line assembly for prefixed output (logs of several containers): collects
 * bytes per stream and hands out complete lines; nd_lines_flush hands out
 * a last partial line. Capped: a line longer than 1 MiB is handed out in
 * pieces.
 */
typedef int (*nd_line_fn)(const char *line, size_t len, bool newline, void *ud);

struct nd_lines {
	struct nd_buf buf;
	nd_line_fn on_line;
	void *ud;
};
void nd_lines_init(struct nd_lines *l, nd_line_fn on_line, void *ud);
int nd_lines_feed(struct nd_lines *l, const char *data, size_t len);
int nd_lines_flush(struct nd_lines *l);
void nd_lines_release(struct nd_lines *l);

#endif
