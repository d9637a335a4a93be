/* SPDX-License-Identifier: MIT */
/*
 * docker/hijack against a canned unix-socket server, for what a real engine
 * rarely shows: stream bytes in the same read as the 101 header, an error
 * answer with a body, a half-close answered by more output. (The e2e tests
 * t0063/t0064 drive the same code against the real engine.)
 */
#include "tests/unit/unit.h"
#include "core/buf.h"
#include "docker/engine.h"
#include "docker/hijack.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char sock_dir[48], sock_path[96];

enum script { ECHO_UNTIL_EOF, NOT_FOUND };

/* Read the request: headers, then Content-Length bytes of body. */
static void read_request(int c, struct nd_buf *req)
{
	char buf[4096];
	char *end;
	long clen = 0;

	for (;;) {
		ssize_t n = read(c, buf, sizeof(buf));

		if (n <= 0)
			return;
		nd_buf_add(req, buf, (size_t)n);
		end = strstr(req->buf, "\r\n\r\n");
		if (!end)
			continue;
		if (strcasestr(req->buf, "Content-Length:"))
			clen = strtol(strcasestr(req->buf, "Content-Length:") + 15,
				      NULL, 10);
		if ((long)(req->len - (size_t)(end + 4 - req->buf)) >= clen)
			return;
	}
}

static void serve(int lfd, enum script s)
{
	struct nd_buf req = ND_BUF_INIT;
	int c = accept(lfd, NULL, NULL);
	char buf[4096];
	ssize_t n;

	if (c < 0)
		_exit(1);
	read_request(c, &req);
	if (!strstr(req.buf, "Upgrade: tcp\r\n") ||
	    !strstr(req.buf, "Connection: Upgrade\r\n") ||
	    !strstr(req.buf, "{\"Detach\":false}"))
		_exit(2);
	if (s == NOT_FOUND) {
		const char *a = "HTTP/1.1 404 Not Found\r\n"
				"Content-Type: application/json\r\n"
				"Content-Length: 32\r\n\r\n"
				"{\"message\":\"No such exec: abc\"}";

		if (write(c, a, strlen(a)) < 0)
			_exit(3);
		close(c);
		_exit(0);
	}
	/* the header and the first stream bytes in one write (§15.13) */
	{
		const char *a = "HTTP/1.1 101 UPGRADED\r\n"
				"Content-Type: application/vnd.docker.raw-stream\r\n"
				"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
				"early:";

		if (write(c, a, strlen(a)) < 0)
			_exit(3);
	}
	/* echo what comes until the client half-closes, then answer */
	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (write(c, buf, (size_t)n) < 0)
			_exit(4);
	if (write(c, ":bye", 4) < 0)
		_exit(5);
	close(c);
	nd_buf_release(&req);
	_exit(0);
}

static pid_t start_server(enum script s)
{
	struct sockaddr_un sa;
	int lfd;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	unlink(sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		serve(lfd, s);
	close(lfd);
	return pid;
}

static int collect(const char *data, size_t len, void *ud)
{
	return nd_buf_add(ud, data, len);
}

TEST(hijack_early_bytes_and_half_close)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_engine *e = NULL;
	struct nd_hijack *h = NULL;
	struct nd_buf got = ND_BUF_INIT;
	struct nd_hijack_io io = { 0 };
	char *host = nd_xprintf("unix://%s", sock_path);
	int in[2], status = -1;
	pid_t pid = start_server(ECHO_UNTIL_EOF);

	CHECK(pid > 0);
	CHECK_INT(pipe(in), 0);
	CHECK_INT(write(in[1], "hello", 5), 5);
	close(in[1]);
	CHECK_INT(nd_engine_open(&e, host, &err), 0);
	CHECK_INT(nd_hijack_open(&h, e, "/exec/abc/start", "{\"Detach\":false}",
				 &err), 0);
	if (h) {
		CHECK_INT(nd_hijack_status(h), 101);
		io.in_fd = in[0];
		io.half_close = true;
		io.on_data = collect;
		io.data_ud = &got;
		io.wake_fd = -1;
		CHECK_INT(nd_hijack_pump(h, &io, &err), 0);
		CHECK_STR(got.buf, "early:hello:bye");
	}
	if (err.code)
		UNIT_FAIL("error: %s", err.msg);
	waitpid(pid, &status, 0);
	CHECK_INT(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	close(in[0]);
	nd_hijack_free(h);
	nd_engine_free(e);
	nd_buf_release(&got);
	nd_error_release(&err);
	free(host);
}

TEST(hijack_error_answer)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_engine *e = NULL;
	struct nd_hijack *h = NULL;
	char *host = nd_xprintf("unix://%s", sock_path);
	pid_t pid = start_server(NOT_FOUND);

	CHECK(pid > 0);
	CHECK_INT(nd_engine_open(&e, host, &err), 0);
	CHECK_INT(nd_hijack_open(&h, e, "/exec/abc/start", "{\"Detach\":false}",
				 &err), ND_ENOTFOUND);
	CHECK(h == NULL);
	CHECK_STR(err.msg, "No such exec: abc");
	CHECK_INT(err.http_status, 404);
	waitpid(pid, NULL, 0);
	nd_engine_free(e);
	nd_error_release(&err);
	free(host);
}

TEST(hijack_unreachable)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_engine *e = NULL;
	struct nd_hijack *h = NULL;
	char *host = nd_xprintf("unix://%s", sock_path);

	unlink(sock_path);
	CHECK_INT(nd_engine_open(&e, host, &err), 0);
	CHECK_INT(nd_hijack_open(&h, e, "/exec/abc/start", NULL, &err),
		  ND_EUNREACHABLE);
	nd_engine_free(e);
	nd_error_release(&err);
	free(host);
}

int main(void)
{
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/nd-t-hijack-XXXXXX");
	if (!mkdtemp(sock_dir))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/engine.sock", sock_dir);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	RUN(hijack_early_bytes_and_half_close);
	RUN(hijack_error_answer);
	RUN(hijack_unreachable);
	curl_global_cleanup();
	unlink(sock_path);
	rmdir(sock_dir);
	return unit_done();
}
