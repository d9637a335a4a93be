/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/buf.h"
#include "docker/hijack.h"

#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEADER_CAP ((size_t)64 << 10)
#define ERROR_BODY_CAP ((size_t)1 << 20)
#define ANSWER_TIMEOUT_MS 60000
#define IO_CHUNK ((size_t)64 << 10)

struct nd_hijack {
	struct nd_engine *e;
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	curl_socket_t fd;
	long status;
	/* bytes that came with the header block, handed out first */
	struct nd_buf early;
	size_t early_off;
	bool write_closed;
};

int nd_hijack_fd(const struct nd_hijack *h)
{
	return (int)h->fd;
}

long nd_hijack_status(const struct nd_hijack *h)
{
	return h->status;
}

void nd_hijack_free(struct nd_hijack *h)
{
	if (!h)
		return;
	if (h->h)
		curl_easy_cleanup(h->h);
	nd_buf_release(&h->early);
	free(h);
}

static int transport_error(struct nd_hijack *h, CURLcode rc, const char *what,
			   struct nd_error *err)
{
	return nd_error_set(err, ND_EUNREACHABLE, "%s the engine at %s: %s",
			    what, h->e->host,
			    *h->errbuf ? h->errbuf : curl_easy_strerror(rc));
}

static int wait_fd(curl_socket_t fd, short events, int timeout_ms)
{
	struct pollfd p = { (int)fd, events, 0 };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Raw receive, ignoring the early bytes. */
static int raw_recv(struct nd_hijack *h, char *buf, size_t cap, size_t *n,
		    struct nd_error *err)
{
	CURLcode rc;

	*n = 0;
	h->errbuf[0] = '\0';
	rc = curl_easy_recv(h->h, buf, cap, n);
	if (rc == CURLE_AGAIN)
		return 1;
	if (rc != CURLE_OK)
		return transport_error(h, rc, "reading from", err);
	return 0;
}

int nd_hijack_recv(struct nd_hijack *h, char *buf, size_t cap, size_t *n,
		   struct nd_error *err)
{
	if (h->early_off < h->early.len) {
		size_t take = h->early.len - h->early_off;

		if (take > cap)
			take = cap;
		memcpy(buf, h->early.buf + h->early_off, take);
		h->early_off += take;
		if (h->early_off == h->early.len)
			nd_buf_release(&h->early);
		*n = take;
		return 0;
	}
	return raw_recv(h, buf, cap, n, err);
}

int nd_hijack_send(struct nd_hijack *h, const char *data, size_t len, size_t *n,
		   struct nd_error *err)
{
	CURLcode rc;

	*n = 0;
	h->errbuf[0] = '\0';
	rc = curl_easy_send(h->h, data, len, n);
	if (rc == CURLE_AGAIN)
		return 1;
	if (rc != CURLE_OK)
		return transport_error(h, rc, "writing to", err);
	return 0;
}

/* Send all of data, waiting for the socket as needed (the request). */
static int send_all(struct nd_hijack *h, const char *data, size_t len,
		    struct nd_error *err)
{
	while (len) {
		size_t n;
		int r = nd_hijack_send(h, data, len, &n, err);

		if (r < 0)
			return r;
		if (r == 1) {
			if (wait_fd(h->fd, POLLOUT, ANSWER_TIMEOUT_MS) == 0)
				return nd_error_set(
					err, ND_ETIMEOUT,
					"the engine at %s does not take our request",
					h->e->host);
			continue;
		}
		data += n;
		len -= n;
	}
	return 0;
}

int nd_hijack_close_write(struct nd_hijack *h, struct nd_error *err)
{
	if (h->write_closed)
		return 0;
	h->write_closed = true;
	if (h->e->kind == ND_ENGINE_TLS) {
		struct curl_tlssessioninfo *info = NULL;

		if (curl_easy_getinfo(h->h, CURLINFO_TLS_SSL_PTR, &info) ||
		    !info || info->backend != CURLSSLBACKEND_OPENSSL ||
		    !info->internals)
			return nd_error_set(
				err, ND_EUNSUPPORTED,
				"cannot half-close a TLS connection with this libcurl TLS backend");
		/*
		 * close_notify, then keep reading: never shutdown() the
		 * socket under a live TLS session (NOTES.md §3.1).
		 */
		if (SSL_shutdown((SSL *)info->internals) < 0)
			return nd_error_set(
				err, ND_EGENERIC,
				"cannot half-close the TLS connection to the engine");
		return 0;
	}
	if (shutdown((int)h->fd, SHUT_WR) < 0 && errno != ENOTCONN)
		return nd_error_errno(
			err, ND_EGENERIC,
			"cannot half-close the connection to the engine");
	return 0;
}

static const char *find_header_end(const struct nd_buf *b)
{
	return b->len >= 4 ? memmem(b->buf, b->len, "\r\n\r\n", 4) : NULL;
}

/* Content-Length of a header block, or -1. */
static long content_length(const char *hdr, size_t len)
{
	const char *p = hdr, *end = hdr + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (n > 15 && !strncasecmp(p, "Content-Length:", 15))
			return strtol(p + 15, NULL, 10);
		p += n + 1;
	}
	return -1;
}

/* After an error status: read the body (as long as it says, or to EOF). */
static void read_error_body(struct nd_hijack *h, struct nd_buf *body, long want)
{
	char chunk[4096];

	while (want < 0 || (long)body->len < want) {
		size_t n;
		int r = raw_recv(h, chunk, sizeof(chunk), &n, NULL);

		if (r < 0 || (r == 0 && n == 0))
			break;
		if (r == 1) {
			if (wait_fd(h->fd, POLLIN, 5000) <= 0)
				break;
			continue;
		}
		if (nd_buf_add(body, chunk, n) < 0)
			break;
	}
}

/* "POST /v1.41/exec/ID/start" needs the path part of the URL and the host. */
static void split_url(const char *url, struct nd_buf *host, const char **target)
{
	const char *p = strstr(url, "://");
	const char *slash;

	p = p ? p + 3 : url;
	slash = strchr(p, '/');
	nd_buf_add(host, p, slash ? (size_t)(slash - p) : strlen(p));
	*target = slash ? slash : "/";
}

int nd_hijack_open(struct nd_hijack **out, struct nd_engine *e,
		   const char *path, const char *body, struct nd_error *err)
{
	struct nd_hijack *h = nd_calloc(1, sizeof(*h));
	struct nd_buf req = ND_BUF_INIT, host = ND_BUF_INIT;
	struct nd_buf head = ND_BUF_INIT_CAP(HEADER_CAP);
	const char *target, *end;
	char *url = NULL, *conn_url = NULL;
	size_t body_len = body ? strlen(body) : 0;
	curl_socket_t fd = CURL_SOCKET_BAD;
	CURLcode rc;
	int r = 0;

	h->e = e;
	h->fd = CURL_SOCKET_BAD;
	h->h = nd_engine_easy_new(e, h->errbuf);
	if (!h->h) {
		r = nd_error_set(err, ND_EGENERIC, "cannot initialise libcurl");
		goto done;
	}
	/* connect (and shake hands for TLS), send nothing */
	conn_url = nd_xprintf("%s/", e->base_url);
	curl_easy_setopt(h->h, CURLOPT_URL, conn_url);
	curl_easy_setopt(h->h, CURLOPT_CONNECT_ONLY, 1L);
	rc = curl_easy_perform(h->h);
	if (rc != CURLE_OK) {
		r = nd_error_set(
			err, ND_EUNREACHABLE,
			"cannot connect to the engine at %s: %s", e->host,
			*h->errbuf ? h->errbuf : curl_easy_strerror(rc));
		goto done;
	}
	if (curl_easy_getinfo(h->h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
	    fd == CURL_SOCKET_BAD) {
		r = nd_error_set(
			err, ND_EGENERIC,
			"libcurl gave no socket for the engine connection");
		goto done;
	}
	h->fd = fd;

	url = nd_engine_url(e, path);
	split_url(url, &host, &target);
	nd_buf_addf(&req,
		    "POST %s HTTP/1.1\r\n"
		    "Host: %s\r\n"
		    "User-Agent: nextdeploy/" ND_VERSION "\r\n"
		    "Content-Type: application/json\r\n"
		    "Connection: Upgrade\r\n"
		    "Upgrade: tcp\r\n"
		    "Content-Length: %zu\r\n\r\n",
		    target,
		    e->kind == ND_ENGINE_UNIX || e->kind == ND_ENGINE_SSH ?
			    "localhost" :
			    host.buf,
		    body_len);
	if (body)
		nd_buf_add(&req, body, body_len);
	if ((r = send_all(h, req.buf, req.len, err)) < 0)
		goto done;

	/* the answer's header block; whatever follows it is stream data */
	for (;;) {
		char chunk[4096];
		size_t n;

		r = raw_recv(h, chunk, sizeof(chunk), &n, err);
		if (r < 0)
			goto done;
		if (r == 1) {
			if (wait_fd(h->fd, POLLIN, ANSWER_TIMEOUT_MS) == 0) {
				r = nd_error_set(
					err, ND_ETIMEOUT,
					"the engine at %s did not answer POST %s in time",
					e->host, path);
				goto done;
			}
			continue;
		}
		if (n == 0) {
			r = nd_error_set(
				err, ND_EUNREACHABLE,
				"the engine at %s closed the connection without answering POST %s",
				e->host, path);
			goto done;
		}
		if (nd_buf_add(&head, chunk, n) < 0) {
			r = nd_error_set(
				err, ND_EGENERIC,
				"the engine's answer to POST %s has an endless header",
				path);
			goto done;
		}
		if (find_header_end(&head))
			break;
	}
	end = find_header_end(&head) + 4;
	if (sscanf(head.buf, "HTTP/%*d.%*d %ld", &h->status) != 1) {
		r = nd_error_set(
			err, ND_EGENERIC,
			"the engine sent a malformed answer to POST %s", path);
		goto done;
	}
	if (h->status != 101 && (h->status < 200 || h->status >= 300)) {
		struct nd_buf ebody = ND_BUF_INIT_CAP(ERROR_BODY_CAP);
		size_t hlen = (size_t)(end - head.buf);

		nd_buf_add(&ebody, end, head.len - hlen);
		read_error_body(h, &ebody, content_length(head.buf, hlen));
		r = nd_engine_error_from_response(err, h->status, ebody.buf,
						  ebody.len);
		nd_buf_release(&ebody);
		goto done;
	}
	/* NOTES.md §15.13: keep the bytes that followed the header block */
	nd_buf_add(&h->early, end, head.len - (size_t)(end - head.buf));
done:
	free(url);
	free(conn_url);
	nd_buf_release(&req);
	nd_buf_release(&host);
	nd_buf_release(&head);
	if (r < 0) {
		nd_hijack_free(h);
		return r;
	}
	*out = h;
	return 0;
}

int nd_hijack_pump(struct nd_hijack *h, const struct nd_hijack_io *io,
		   struct nd_error *err)
{
	char *in = nd_malloc(IO_CHUNK), *rbuf = nd_malloc(IO_CHUNK);
	size_t in_len = 0, in_off = 0;
	bool in_eof = io->in_fd < 0, send_dead = false;
	int r = 0;

	for (;;) {
		struct pollfd p[3];
		int np = 0, ip = -1, wp = -1, pr;

		/*
		 * Drain first: with TLS, decrypted bytes can sit in the TLS
		 * layer while poll() sees nothing (NOTES.md §15.29).
		 */
		for (;;) {
			size_t n;

			r = nd_hijack_recv(h, rbuf, IO_CHUNK, &n, err);
			if (r < 0)
				goto done;
			if (r == 1)
				break;
			if (n == 0) {
				r = 0; /* the engine closed the stream */
				goto done;
			}
			if ((r = io->on_data(rbuf, n, io->data_ud)) < 0)
				goto done;
		}
		r = 0;
		p[np].fd = (int)h->fd;
		p[np].events = POLLIN;
		if (in_off < in_len && !send_dead)
			p[np].events |= POLLOUT;
		p[np++].revents = 0;
		if (!in_eof && in_off == in_len) {
			ip = np;
			p[np].fd = io->in_fd;
			p[np].events = POLLIN;
			p[np++].revents = 0;
		}
		if (io->wake_fd >= 0) {
			wp = np;
			p[np].fd = io->wake_fd;
			p[np].events = POLLIN;
			p[np++].revents = 0;
		}
		pr = poll(p, (nfds_t)np, -1);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			r = nd_error_errno(err, ND_EGENERIC, "poll failed");
			goto done;
		}
		if (wp >= 0 && p[wp].revents) {
			if ((r = io->on_wake(io->wake_ud)) < 0)
				goto done;
		}
		if (ip >= 0 && p[ip].revents) {
			ssize_t n = read(io->in_fd, in, IO_CHUNK);

			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n < 0 && errno != EIO) {
				r = nd_error_errno(err, ND_EGENERIC,
						   "cannot read the input");
				goto done;
			}
			if (n <= 0) {
				/* EOF (EIO: the terminal went away) */
				in_eof = true;
				if (io->half_close && !send_dead &&
				    (r = nd_hijack_close_write(h, err)) < 0)
					goto done;
			} else {
				in_len = (size_t)n;
				in_off = 0;
			}
		}
		if (in_off < in_len && !send_dead) {
			size_t n;
			struct nd_error serr = ND_ERROR_INIT;
			int sr = nd_hijack_send(h, in + in_off, in_len - in_off,
						&n, &serr);

			if (sr < 0) {
				/*
				 * The process no longer reads (it ended, or
				 * closed stdin): drop our input and read the
				 * rest of its output.
				 */
				send_dead = true;
				in_eof = true;
				in_off = in_len = 0;
			} else if (sr == 0) {
				in_off += n;
				if (in_off == in_len)
					in_off = in_len = 0;
			}
			nd_error_release(&serr);
		}
	}
done:
	free(in);
	free(rbuf);
	return r;
}
