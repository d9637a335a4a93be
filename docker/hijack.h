/* SPDX-License-Identifier: MIT */
#ifndef ND_HIJACK_H
#define ND_HIJACK_H

#include "core/common.h"
#include "core/error.h"
#include "docker/engine.h"

/*
 * Hijacked connections (NOTES.md §3): exec start and container attach with
 * stdin. The engine answers `101 UPGRADED` (or 200 on old engines) and the
 * connection then carries raw bytes both ways: our stdin to the process,
 * its output back (multiplexed frames without a TTY, raw bytes with one;
 * decode with nd_demux, deciding from the Tty flag, never the header).
 *
 * libcurl has no HTTP upgrade for this (a plain perform treats 101 as an
 * informational answer and waits for a final one), so the connection is
 * made with CURLOPT_CONNECT_ONLY on a dedicated handle (it cannot be
 * reused) and the request is written by hand; reading and writing go
 * through curl_easy_recv/curl_easy_send, so unix sockets, tcp, TLS and the
 * ssh relay all work the same (curl docs/examples/sendrecv.c).
 *
 *	struct nd_hijack *h;
 *	if (nd_hijack_open(&h, e, "/exec/ID/start", "{\"Detach\":false,\"Tty\":true}", &err) < 0) ...
 *	struct nd_hijack_io io = { .in_fd = 0, .on_data = nd_demux_write, .data_ud = &dm, ... };
 *	r = nd_hijack_pump(h, &io, &err);   // returns when the engine closes the stream
 *	nd_hijack_free(h);
 */
struct nd_hijack;

/*
 * POST path (an API path: "/exec/ID/start", "/containers/ID/attach?...";
 * versioned like every request) with a JSON body (NULL: none) and the
 * Upgrade headers. Success is 101 or 200; bytes that came after the header
 * block are kept and handed out first. An error status becomes the
 * engine's error (codes as nd_engine_request). ND_ETIMEOUT when no answer
 * came within 60 s.
 */
int nd_hijack_open(struct nd_hijack **out, struct nd_engine *e,
		   const char *path, const char *body, struct nd_error *err);
void nd_hijack_free(struct nd_hijack *h);

/* The socket, for poll(). With TLS, see nd_hijack_recv. */
int nd_hijack_fd(const struct nd_hijack *h);
/* The HTTP status the engine answered (101 or 200). */
long nd_hijack_status(const struct nd_hijack *h);

/*
 * Read what is available without blocking: returns 0 with *n > 0 bytes,
 * 0 with *n == 0 at EOF, 1 when nothing is there yet (poll the fd; with TLS,
 * call this until it returns 1 before polling, since decrypted bytes can
 * wait in the TLS layer while the socket looks idle), or < 0 on an error.
 */
int nd_hijack_recv(struct nd_hijack *h, char *buf, size_t cap, size_t *n,
		   struct nd_error *err);
/*
 * Write without blocking: 0 with *n bytes taken (possibly fewer than len),
 * 1 when nothing could be written yet (poll for POLLOUT), < 0 on an error.
 */
int nd_hijack_send(struct nd_hijack *h, const char *data, size_t len, size_t *n,
		   struct nd_error *err);
/*
 * Half-close: tell the engine our input is over (the process sees EOF on
 * stdin) and keep reading. shutdown(SHUT_WR) on unix sockets and tcp, a TLS
 * close_notify (SSL_shutdown) on TLS. Never do this with a TTY: the engine
 * then closes the whole stream while the process keeps running (§3.1).
 */
int nd_hijack_close_write(struct nd_hijack *h, struct nd_error *err);

/*
 * The loop most callers want: copy in_fd to the engine and the engine's
 * bytes to on_data until the engine closes the stream.
 */
struct nd_hijack_io {
	int in_fd;	 /* sent to the engine; -1: nothing to send */
	bool half_close; /* at in_fd EOF, nd_hijack_close_write (never with a TTY) */
	/* the engine's bytes, as they arrive; return < 0 to stop */
	nd_write_fn on_data;
	void *data_ud;
	/* when wake_fd (e.g. nd_signal_fd()) is readable, on_wake is
	 * called; return < 0 to stop with that error, 0 to go on */
	int wake_fd; /* -1: none */
	int (*on_wake)(void *ud);
	void *wake_ud;
};

/*
 * Returns 0 when the engine closed the stream (the process ended, or our
 * half-close was answered), or the first error: a transport error, an
 * error reading in_fd, or what on_data/on_wake returned. Bytes not yet sent
 * when the engine closes are dropped.
 */
int nd_hijack_pump(struct nd_hijack *h, const struct nd_hijack_io *io,
		   struct nd_error *err);

#endif
