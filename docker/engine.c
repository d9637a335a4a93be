/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "docker/engine.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/var/run/docker.sock"
#define ERROR_BODY_CAP ((size_t)1 << 20)
#define DEFAULT_BODY_CAP ((size_t)64 << 20)

/* --- locating the engine --- */

static const char *config_dir(struct nd_buf *b)
{
	const char *d = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");

	nd_buf_reset(b);
	if (d && *d)
		nd_buf_adds(b, d);
	else
		nd_buf_addf(b, "%s/.docker", home && *home ? home : "/root");
	return b->buf;
}

static bool file_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static char *sha256_hex(const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	char *hex;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	hex = nd_malloc(n * 2 + 1);
	for (i = 0; i < n; i++)
		snprintf(hex + i * 2, 3, "%02x", md[i]);
	return hex;
}

static int read_small_file(struct nd_buf *out, const char *path,
			   struct nd_error *err)
{
	FILE *f = fopen(path, "r");
	char chunk[4096];
	size_t n;

	if (!f)
		return nd_error_errno(err, ND_ENOTFOUND, "cannot read '%s'",
				      path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (nd_buf_add(out, chunk, n) < 0) {
			fclose(f);
			return nd_error_set(err, ND_EGENERIC,
					    "'%s' is too large", path);
		}
	fclose(f);
	return 0;
}

/*
 * The docker CLI's context store: $DOCKER_CONFIG/contexts/meta/<sha256 of
 * the name>/meta.json, TLS files under contexts/tls/<same>/docker/.
 */
static int context_host(struct nd_engine *e, const char *name, char **host_out,
			struct nd_error *err)
{
	struct nd_buf dir = ND_BUF_INIT, path = ND_BUF_INIT, data = ND_BUF_INIT;
	cJSON *meta = NULL, *ep, *h, *skip;
	char *hash = NULL;
	int r = 0;

	config_dir(&dir);
	hash = sha256_hex(name);
	nd_buf_addf(&path, "%s/contexts/meta/%s/meta.json", dir.buf, hash);
	if (read_small_file(&data, path.buf, err) < 0) {
		r = nd_error_set(err, ND_EUSAGE,
				 "docker context '%s' not found", name);
		nd_error_hint(err, "set DOCKER_HOST or pass -H, or create the "
				   "context with 'docker context create'");
		goto done;
	}
	meta = cJSON_ParseWithLength(data.buf, data.len);
	ep = cJSON_GetObjectItemCaseSensitive(meta, "Endpoints");
	ep = cJSON_GetObjectItemCaseSensitive(ep, "docker");
	h = cJSON_GetObjectItemCaseSensitive(ep, "Host");
	if (!cJSON_IsString(h)) {
		r = nd_error_set(err, ND_EUSAGE,
				 "docker context '%s' has no docker endpoint",
				 name);
		goto done;
	}
	*host_out = nd_strdup(h->valuestring);
	skip = cJSON_GetObjectItemCaseSensitive(ep, "SkipTLSVerify");
	nd_buf_reset(&path);
	nd_buf_addf(&path, "%s/contexts/tls/%s/docker", dir.buf, hash);
	if (file_exists(path.buf) || cJSON_IsTrue(skip)) {
		e->kind = ND_ENGINE_TLS;
		e->tls_verify = !cJSON_IsTrue(skip);
		e->ca = nd_xprintf("%s/ca.pem", path.buf);
		e->cert = nd_xprintf("%s/cert.pem", path.buf);
		e->key = nd_xprintf("%s/key.pem", path.buf);
	}
done:
	cJSON_Delete(meta);
	free(hash);
	nd_buf_release(&dir);
	nd_buf_release(&path);
	nd_buf_release(&data);
	return r;
}

static char *current_context(void)
{
	struct nd_buf dir = ND_BUF_INIT, data = ND_BUF_INIT;
	char *name = NULL, *path;
	cJSON *cfg, *cur;

	path = nd_xprintf("%s/config.json", config_dir(&dir));
	if (read_small_file(&data, path, NULL) == 0) {
		cfg = cJSON_ParseWithLength(data.buf, data.len);
		cur = cJSON_GetObjectItemCaseSensitive(cfg, "currentContext");
		if (cJSON_IsString(cur) && *cur->valuestring)
			name = nd_strdup(cur->valuestring);
		cJSON_Delete(cfg);
	}
	free(path);
	nd_buf_release(&dir);
	nd_buf_release(&data);
	return name;
}

static void tls_from_env(struct nd_engine *e)
{
	const char *verify = getenv("DOCKER_TLS_VERIFY");
	const char *tls = getenv("DOCKER_TLS");
	const char *certs = getenv("DOCKER_CERT_PATH");
	struct nd_buf dir = ND_BUF_INIT;
	char *ca, *cert, *key;

	/* any non-empty DOCKER_TLS_VERIFY turns verification on, even "0" */
	if (!(verify && *verify) && !(tls && *tls))
		return;
	e->kind = ND_ENGINE_TLS;
	e->tls_verify = verify && *verify;
	if (!certs || !*certs)
		certs = config_dir(&dir);
	ca = nd_xprintf("%s/ca.pem", certs);
	cert = nd_xprintf("%s/cert.pem", certs);
	key = nd_xprintf("%s/key.pem", certs);
	if (file_exists(ca))
		e->ca = ca;
	else
		free(ca);
	if (file_exists(cert) && file_exists(key)) {
		e->cert = cert;
		e->key = key;
	} else {
		free(cert);
		free(key);
	}
	nd_buf_release(&dir);
}

static int parse_host(struct nd_engine *e, const char *host,
		      struct nd_error *err)
{
	if (nd_starts_with(host, "unix://")) {
		const char *p = host + 7;

		e->kind = ND_ENGINE_UNIX;
		e->socket_path = nd_strdup(*p ? p : DEFAULT_SOCKET);
		if (strlen(e->socket_path) >=
		    sizeof(((struct sockaddr_un *)0)->sun_path))
			return nd_error_set(err, ND_EUSAGE,
					    "socket path '%s' is too long",
					    e->socket_path);
		e->base_url = nd_strdup("http://localhost");
		e->host = nd_xprintf("unix://%s", e->socket_path);
		return 0;
	}
	if (nd_starts_with(host, "ssh://")) {
		const char *p = host + 6, *slash, *colon, *at;
		char *hostpart;

		if (strchr(p, '?') || strchr(p, '#'))
			return nd_error_set(
				err, ND_EUSAGE,
				"invalid ssh host '%s': no query or fragment allowed",
				host);
		slash = strchr(p, '/');
		hostpart = slash ? nd_strndup(p, (size_t)(slash - p)) :
				   nd_strdup(p);
		at = strchr(hostpart, '@');
		if (at && strchr(hostpart, ':') && strchr(hostpart, ':') < at) {
			free(hostpart);
			return nd_error_set(
				err, ND_EUSAGE,
				"invalid ssh host '%s': a password in the URL is not allowed",
				host);
		}
		colon = strrchr(at ? at : hostpart, ':');
		if (colon) {
			e->ssh_port = nd_strdup(colon + 1);
			e->ssh_target = nd_strndup(hostpart,
						   (size_t)(colon - hostpart));
		} else {
			e->ssh_target = nd_strdup(hostpart);
		}
		{
			bool no_host = at && at[1] == '\0';

			free(hostpart);
			if (!*e->ssh_target || no_host)
				return nd_error_set(
					err, ND_EUSAGE,
					"invalid ssh host '%s': no host name",
					host);
		}
		if (slash && slash[1])
			e->ssh_socket = nd_strdup(slash);
		e->kind = ND_ENGINE_SSH;
		e->base_url = nd_strdup("http://localhost");
		e->host = nd_strdup(host);
		return 0;
	}
	{
		const char *p = host;
		const char *slash;
		char *hostport;

		if (nd_starts_with(host, "tcp://"))
			p = host + 6;
		else if (strstr(host, "://")) {
			nd_error_set(err, ND_EUSAGE, "invalid engine host '%s'",
				     host);
			nd_error_hint(
				err,
				"use unix:///path, tcp://host:port or ssh://[user@]host");
			return ND_EUSAGE;
		}
		if (!*p)
			return nd_error_set(
				err, ND_EUSAGE,
				"invalid engine host '%s': no host name", host);
		slash = strchr(p, '/');
		hostport = slash ? nd_strndup(p, (size_t)(slash - p)) :
				   nd_strdup(p);
		if (!strchr(hostport, ':') || hostport[0] == '[') {
			/* tcp://host without a port is 2375, even with TLS */
			if (!(hostport[0] == '[' && strstr(hostport, "]:"))) {
				char *withport = nd_xprintf("%s:2375", hostport);

				free(hostport);
				hostport = withport;
			}
		}
		if (e->kind != ND_ENGINE_TLS)
			e->kind = ND_ENGINE_TCP;
		e->base_url = nd_xprintf(
			"%s://%s%s",
			e->kind == ND_ENGINE_TLS ? "https" : "http", hostport,
			slash && strcmp(slash, "/") ? slash : "");
		e->host = nd_xprintf("tcp://%s%s", hostport,
				     slash && strcmp(slash, "/") ? slash : "");
		free(hostport);
		return 0;
	}
}

int nd_engine_open(struct nd_engine **out, const char *host,
		   struct nd_error *err)
{
	struct nd_engine *e = nd_calloc(1, sizeof(*e));
	const char *env = getenv("DOCKER_HOST");
	const char *ctx_env = getenv("DOCKER_CONTEXT");
	char *ctx_host = NULL, *ctx_name = NULL;
	int r;

	e->ssh_relay_pid = -1;
	tls_from_env(e);
	if (host && *host) {
		e->host_source = nd_strdup("-H");
	} else if (env && *env) {
		host = env;
		e->host_source = nd_strdup("DOCKER_HOST");
	} else {
		if (ctx_env && *ctx_env)
			ctx_name = nd_strdup(ctx_env);
		else
			ctx_name = current_context();
		if (ctx_name && strcmp(ctx_name, "default")) {
			if ((r = context_host(e, ctx_name, &ctx_host, err)) < 0)
				goto fail;
			host = ctx_host;
			e->host_source = nd_xprintf("context %s", ctx_name);
		} else if (e->kind == ND_ENGINE_TLS) {
			host = "tcp://localhost:2376";
			e->host_source = nd_strdup("default (TLS)");
		} else {
			host = "unix://" DEFAULT_SOCKET;
			e->host_source = nd_strdup("default");
		}
	}
	if ((r = parse_host(e, host, err)) < 0)
		goto fail;
	if (e->kind == ND_ENGINE_TLS && nd_starts_with(e->base_url, "http://")) {
		char *u = nd_xprintf("https://%s", e->base_url + 7);

		free(e->base_url);
		e->base_url = u;
	}
	e->curl = curl_easy_init();
	if (!e->curl) {
		r = nd_error_set(err, ND_EGENERIC, "cannot initialise libcurl");
		goto fail;
	}
	free(ctx_host);
	free(ctx_name);
	*out = e;
	return 0;
fail:
	free(ctx_host);
	free(ctx_name);
	nd_engine_free(e);
	return r;
}

static void stop_ssh_relay(struct nd_engine *e)
{
	if (e->ssh_relay_pid > 0) {
		kill((pid_t)e->ssh_relay_pid, SIGTERM);
		waitpid((pid_t)e->ssh_relay_pid, NULL, 0);
		e->ssh_relay_pid = -1;
	}
	if (e->socket_path && e->kind == ND_ENGINE_SSH)
		unlink(e->socket_path);
	if (e->ssh_dir)
		rmdir(e->ssh_dir);
}

void nd_engine_free(struct nd_engine *e)
{
	if (!e)
		return;
	if (e->curl)
		curl_easy_cleanup(e->curl);
	stop_ssh_relay(e);
	free(e->host);
	free(e->host_source);
	free(e->socket_path);
	free(e->base_url);
	free(e->ca);
	free(e->cert);
	free(e->key);
	free(e->ssh_target);
	free(e->ssh_port);
	free(e->ssh_socket);
	free(e->ssh_dir);
	free(e->server);
	free(e->os_type);
	free(e);
}

/* --- ssh: a private unix-socket relay to `docker system dial-stdio` --- */

/*
 * libcurl 7.88 cannot take an already-connected socket
 * (CURL_SOCKOPT_ALREADY_CONNECTED still calls connect(); curl#10626), so we
 * listen on a private unix socket and, for each connection libcurl makes,
 * run `ssh ... docker system dial-stdio` with that connection as its stdin
 * and stdout (TESTBED.md §4). ssh comes from PATH, as with the docker CLI.
 */
static void relay_child(struct nd_engine *e, int lfd)
{
	signal(SIGCHLD, SIG_IGN); /* reap ssh children automatically */
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		pid_t pid;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		pid = fork();
		if (pid == 0) {
			const char *argv[16];
			int n = 0;
			char *hostflag = NULL;

			prctl(PR_SET_PDEATHSIG, SIGTERM);
			dup2(c, 0);
			dup2(c, 1);
			close(c);
			close(lfd);
			argv[n++] = "ssh";
			if (e->ssh_port) {
				argv[n++] = "-p";
				argv[n++] = e->ssh_port;
			}
			argv[n++] = "-o";
			argv[n++] = "ConnectTimeout=30";
			argv[n++] = "-T";
			argv[n++] = "--";
			argv[n++] = e->ssh_target;
			argv[n++] = "docker";
			if (e->ssh_socket) {
				hostflag = nd_xprintf("--host=unix://%s",
						      e->ssh_socket);
				argv[n++] = hostflag;
			}
			argv[n++] = "system";
			argv[n++] = "dial-stdio";
			argv[n] = NULL;
			execvp("ssh", (char *const *)argv);
			_exit(127);
		}
		close(c);
	}
}

static int start_ssh_relay(struct nd_engine *e, struct nd_error *err)
{
	char tmpl[] = "/tmp/nextdeploy-ssh-XXXXXX";
	struct sockaddr_un sa;
	int lfd;
	pid_t pid;

	if (!mkdtemp(tmpl))
		return nd_error_errno(
			err, ND_EGENERIC,
			"cannot create a folder for the ssh relay");
	e->ssh_dir = nd_strdup(tmpl);
	free(e->socket_path);
	e->socket_path = nd_xprintf("%s/engine.sock", tmpl);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", e->socket_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 8) < 0) {
		if (lfd >= 0)
			close(lfd);
		return nd_error_errno(err, ND_EGENERIC, "cannot listen on '%s'",
				      e->socket_path);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(lfd);
		return nd_error_errno(err, ND_EGENERIC, "cannot fork");
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		relay_child(e, lfd);
		_exit(0);
	}
	close(lfd);
	e->ssh_relay_pid = pid;
	return 0;
}

/* --- handles --- */

struct trace_ctx {
	const char *const *secrets;
};

/* Over the whole buffer (memmem: a tar body holds NUL bytes). */
static void redact_secrets(char *s, size_t len, const char *const *secrets)
{
	for (; secrets && *secrets; secrets++) {
		size_t n = strlen(*secrets);
		char *p = s;

		if (n < 3)
			continue;
		while ((p = memmem(p, len - (size_t)(p - s), *secrets, n))) {
			memset(p, '*', n);
			p += n;
		}
	}
}

static int trace_cb(CURL *h, curl_infotype type, char *data, size_t size,
		    void *ud)
{
	struct trace_ctx *t = ud;
	const char *prefix;
	struct nd_buf b = ND_BUF_INIT;
	const char *level = getenv("NEXTDEPLOY_TRACE");
	size_t max = 2048;

	ND_UNUSED(h);
	switch (type) {
	case CURLINFO_TEXT:
		prefix = "* ";
		break;
	case CURLINFO_HEADER_OUT:
		prefix = "> ";
		break;
	case CURLINFO_HEADER_IN:
		prefix = "< ";
		break;
	case CURLINFO_DATA_OUT:
		prefix = "=> ";
		break;
	case CURLINFO_DATA_IN:
		prefix = "<= ";
		break;
	default:
		return 0;
	}
	if ((type == CURLINFO_DATA_OUT || type == CURLINFO_DATA_IN) &&
	    !(level && atoi(level) >= 2))
		return 0;
	nd_buf_add(&b, data, size);
	/* redact before cutting, so no part of a secret survives the cut */
	if (t)
		redact_secrets(b.buf, b.len, t->secrets);
	if (b.len > max &&
	    (type == CURLINFO_DATA_OUT || type == CURLINFO_DATA_IN))
		nd_buf_truncate(&b, max);
	/* headers: one line each; hide credentials (git http.c) */
	if (type == CURLINFO_HEADER_OUT || type == CURLINFO_HEADER_IN) {
		char *line = b.buf;

		while (line && *line) {
			char *eol = strchr(line, '\n');

			if (!strncasecmp(line, "Authorization:", 14) ||
			    !strncasecmp(line, "X-Registry-Auth:", 16) ||
			    !strncasecmp(line, "X-Registry-Config:", 18)) {
				char *colon = strchr(line, ':');
				char *end = eol ? eol : line + strlen(line);

				for (colon += 2; colon < end && *colon != '\r';
				     colon++)
					*colon = '*';
			}
			line = eol ? eol + 1 : NULL;
		}
	}
	{
		char *line = b.buf;

		while (line && *line) {
			char *eol = strchr(line, '\n');
			struct nd_buf clean = ND_BUF_INIT;
			size_t len = eol ? (size_t)(eol - line) : strlen(line);

			if (len && line[len - 1] == '\r')
				len--;
			nd_buf_add_sanitized(&clean, line, len, false);
			fprintf(stderr, "trace: %s%s\n", prefix, clean.buf);
			nd_buf_release(&clean);
			line = eol ? eol + 1 : NULL;
		}
	}
	nd_buf_release(&b);
	return 0;
}

static struct trace_ctx trace_default;

void nd_engine_trace_setup(CURL *h, const char *const *secrets)
{
	static struct trace_ctx per_request;
	const char *v = getenv("NEXTDEPLOY_TRACE");

	if (!v || !*v || !strcmp(v, "0"))
		return;
	per_request.secrets = secrets;
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, trace_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA,
			 secrets ? &per_request : &trace_default);
}

/* Every setopt that depends on where the engine is: one place (curl's config2setopts). */
static void setup_handle(struct nd_engine *e, CURL *h, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "nextdeploy/" ND_VERSION);
	if (errbuf) {
		errbuf[0] = '\0';
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	/* never follow redirects, never use an http proxy for the engine */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	if (e->socket_path &&
	    (e->kind == ND_ENGINE_UNIX || e->kind == ND_ENGINE_SSH))
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, e->socket_path);
	if (e->kind == ND_ENGINE_TLS) {
		if (e->ca)
			curl_easy_setopt(h, CURLOPT_CAINFO, e->ca);
		if (e->cert)
			curl_easy_setopt(h, CURLOPT_SSLCERT, e->cert);
		if (e->key)
			curl_easy_setopt(h, CURLOPT_SSLKEY, e->key);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER,
				 e->tls_verify ? 1L : 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST,
				 e->tls_verify ? 2L : 0L);
	}
	nd_engine_trace_setup(h, NULL);
}

CURL *nd_engine_easy_new(struct nd_engine *e, char *errbuf)
{
	CURL *h = curl_easy_init();

	if (h)
		setup_handle(e, h, errbuf);
	return h;
}

char *nd_engine_url(const struct nd_engine *e, const char *path)
{
	if (e->connected)
		return nd_xprintf("%s/v%s%s", e->base_url, e->api_version, path);
	return nd_xprintf("%s%s", e->base_url, path);
}

bool nd_engine_api_at_least(const struct nd_engine *e, int major, int minor)
{
	return e->api_major > major ||
	       (e->api_major == major && e->api_minor >= minor);
}

/* --- requests --- */

void nd_resp_release(struct nd_resp *r)
{
	if (!r)
		return;
	nd_buf_release(&r->body);
	free(r->content_type);
	free(r->api_version);
	free(r->server);
	*r = (struct nd_resp)ND_RESP_INIT;
}

struct xfer {
	struct nd_engine *e;
	const struct nd_req *req;
	struct nd_resp *resp;
	CURL *h;
	int aborted; /* the write_fn asked to stop */
	int cap_hit;
};

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *v, *end;

	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return NULL;
	v = line + n + 1;
	end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return nd_strndup(v, (size_t)(end - v));
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * nmemb;
	char *v;

	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		/* a new response (keep-alive, or after 100 Continue) */
		free(x->resp->content_type);
		x->resp->content_type = NULL;
		return len;
	}
	if ((v = header_value(data, len, "Content-Type"))) {
		free(x->resp->content_type);
		x->resp->content_type = v;
	} else if ((v = header_value(data, len, "Api-Version"))) {
		free(x->resp->api_version);
		x->resp->api_version = v;
	} else if ((v = header_value(data, len, "Server"))) {
		free(x->resp->server);
		x->resp->server = v;
	} else if ((v = header_value(data, len, "Libpod-Api-Version"))) {
		x->resp->libpod = true;
		free(v);
	}
	return len;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * nmemb;
	long status = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300 && x->req->write_fn) {
		if (x->req->write_fn(data, len, x->req->write_ud) < 0) {
			x->aborted = 1;
			return 0;
		}
		return len;
	}
	if (nd_buf_add(&x->resp->body, data, len) < 0) {
		x->cap_hit = 1;
		return 0;
	}
	return len;
}

/* libcurl calls it about once a second even when nothing moves */
static int cancel_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow,
		     curl_off_t ultotal, curl_off_t ulnow)
{
	const volatile sig_atomic_t *cancel = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return *cancel ? 1 : 0;
}

static bool contains_ci(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle);
}

int nd_engine_error_from_response(struct nd_error *err, long status,
				  const char *body, size_t len)
{
	cJSON *doc = cJSON_ParseWithLength(body, len);
	cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "message");
	struct nd_buf msg = ND_BUF_INIT;
	int code;

	if (cJSON_IsString(m) && *m->valuestring) {
		nd_buf_adds(&msg, m->valuestring);
	} else {
		/* not JSON (text/plain version errors, proxies, Podman 404s) */
		nd_buf_add(&msg, body, len > 512 ? 512 : len);
		nd_buf_rtrim(&msg);
		if (!msg.len)
			nd_buf_addf(&msg, "HTTP %ld", status);
		else if (!doc) {
			char *s = nd_xprintf("HTTP %ld: %s", status, msg.buf);

			nd_buf_sets(&msg, s);
			free(s);
		}
	}
	switch (status) {
	case 400:
		code = ND_EBADREQ;
		break;
	case 401:
		code = ND_EAUTH;
		break;
	case 404:
		code = ND_ENOTFOUND;
		break;
	case 409:
		code = ND_ECONFLICT;
		break;
	default:
		code = status >= 500 ? ND_ESERVER : ND_EGENERIC;
		/* Podman answers 500 where Docker says 409/404 */
		if (contains_ci(msg.buf, "already in use") ||
		    contains_ci(msg.buf, "already exists"))
			code = ND_ECONFLICT;
		else if (contains_ci(msg.buf, "no such "))
			code = ND_ENOTFOUND;
		break;
	}
	nd_error_set(err, code, "%s", msg.buf);
	if (err)
		err->http_status = status;
	cJSON_Delete(doc);
	nd_buf_release(&msg);
	return code;
}

static int transport_error(struct nd_engine *e, CURLcode rc, const char *errbuf,
			   struct nd_error *err)
{
	const char *what = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
	char why[256];

	/* curl says "localhost port 80" for a unix socket: say what happened */
	if (rc == CURLE_COULDNT_CONNECT && e->kind == ND_ENGINE_UNIX) {
		struct stat st;

		if (stat(e->socket_path, &st) < 0)
			snprintf(why, sizeof(why), "%s: %s", e->socket_path,
				 strerror(errno));
		else if (!S_ISSOCK(st.st_mode))
			snprintf(why, sizeof(why), "%s is not a socket",
				 e->socket_path);
		else if (access(e->socket_path, R_OK | W_OK) < 0)
			snprintf(why, sizeof(why), "%s: %s", e->socket_path,
				 strerror(errno));
		else
			snprintf(why, sizeof(why),
				 "%s: connection refused (nothing is listening)",
				 e->socket_path);
		what = why;
	}

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return nd_error_set(
			err, ND_ETIMEOUT,
			"the engine at %s did not answer in time: %s", e->host,
			what);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_WEIRD_SERVER_REPLY:
		nd_error_set(err, ND_EUNREACHABLE,
			     "cannot connect to the engine at %s: %s", e->host,
			     what);
		if (e->kind == ND_ENGINE_UNIX)
			nd_error_hint(
				err,
				"is the engine running? start it (e.g. 'dockerd' or 'podman system service'), "
				"or point -H / DOCKER_HOST at it");
		else if (e->kind == ND_ENGINE_TLS)
			nd_error_hint(
				err,
				"check the address and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem)");
		else if (e->kind == ND_ENGINE_SSH)
			nd_error_hint(
				err,
				"check that 'ssh %s docker system dial-stdio' works",
				e->ssh_target);
		else
			nd_error_hint(
				err,
				"check the address, or set DOCKER_TLS_VERIFY=1 if the engine speaks TLS");
		return ND_EUNREACHABLE;
	default:
		return nd_error_set(err, ND_EGENERIC,
				    "request to the engine at %s failed: %s",
				    e->host, what);
	}
}

int nd_engine_request(struct nd_engine *e, const struct nd_req *req,
		      struct nd_resp *resp, struct nd_error *err)
{
	struct nd_resp local = ND_RESP_INIT;
	struct curl_slist *hdrs = NULL;
	struct xfer x;
	struct trace_ctx tctx = { req->secrets };
	const char *method = req->method;
	char *url, *ct = NULL;
	CURLcode rc;
	int r = 0;
	long status = 0;

	if (!resp)
		resp = &local;
	nd_buf_init(&resp->body,
		    req->max_body ? req->max_body : DEFAULT_BODY_CAP);
	if (req->cancel && *req->cancel)
		return nd_error_set(err, ND_EINTERRUPTED, "interrupted");
	if (e->kind == ND_ENGINE_SSH && e->ssh_relay_pid < 0 &&
	    (r = start_ssh_relay(e, err)) < 0)
		return r;
	curl_easy_reset(e->curl);
	setup_handle(e, e->curl, e->errbuf);
	if (req->secrets && getenv("NEXTDEPLOY_TRACE"))
		curl_easy_setopt(e->curl, CURLOPT_DEBUGDATA, &tctx);

	url = (req->flags & ND_REQ_NO_VERSION) || !e->connected ?
		      nd_xprintf("%s%s", e->base_url, req->path) :
		      nd_engine_url(e, req->path);
	curl_easy_setopt(e->curl, CURLOPT_URL, url);
	if (!method)
		method = (req->body || req->read_fn) ? "POST" : "GET";
	if (req->flags & ND_REQ_HEAD) {
		curl_easy_setopt(e->curl, CURLOPT_NOBODY, 1L);
	} else if (req->read_fn) {
		curl_easy_setopt(e->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(e->curl, CURLOPT_READFUNCTION, req->read_fn);
		curl_easy_setopt(e->curl, CURLOPT_READDATA, req->read_ud);
		hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
		hdrs = curl_slist_append(hdrs, "Expect:");
	} else if (req->body) {
		curl_easy_setopt(e->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(e->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body_len ?
						      req->body_len :
						      strlen(req->body)));
	} else if (!strcmp(method, "POST")) {
		curl_easy_setopt(e->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)0);
	}
	if (strcmp(method, "GET") && strcmp(method, "POST") &&
	    !(req->flags & ND_REQ_HEAD))
		curl_easy_setopt(e->curl, CURLOPT_CUSTOMREQUEST, method);
	if (req->body || req->read_fn) {
		ct = nd_xprintf("Content-Type: %s", req->content_type ?
							    req->content_type :
							    "application/json");
		hdrs = curl_slist_append(hdrs, ct);
	}
	for (const char *const *h = req->headers; h && *h; h++)
		hdrs = curl_slist_append(hdrs, *h);
	if (hdrs)
		curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, req->timeout_ms);

	x.e = e;
	x.req = req;
	x.resp = resp;
	x.h = e->curl;
	x.aborted = 0;
	x.cap_hit = 0;
	curl_easy_setopt(e->curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e->curl, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, &x);
	if (req->cancel) {
		curl_easy_setopt(e->curl, CURLOPT_XFERINFOFUNCTION, cancel_cb);
		curl_easy_setopt(e->curl, CURLOPT_XFERINFODATA,
				 (void *)req->cancel);
		curl_easy_setopt(e->curl, CURLOPT_NOPROGRESS, 0L);
	}

	rc = curl_easy_perform(e->curl);
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &status);
	resp->status = status;
	if (req->cancel && *req->cancel) {
		r = nd_error_set(err, ND_EINTERRUPTED, "interrupted");
		goto done;
	}
	if (x.aborted) {
		/* the callback stopped the transfer and set its own error */
		r = ND_EGENERIC;
		if (err && !err->code)
			nd_error_set(err, ND_EGENERIC, "transfer aborted");
		else if (err)
			r = err->code;
		goto done;
	}
	if (x.cap_hit) {
		r = nd_error_set(
			err, ND_EGENERIC,
			"the engine's answer to %s %s is larger than %zu bytes",
			method, req->path, resp->body.cap);
		goto done;
	}
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && status >= 400)) {
		if (rc == CURLE_ABORTED_BY_CALLBACK && err && err->code) {
			r = err->code;
			goto done;
		}
		r = transport_error(e, rc, e->errbuf, err);
		goto done;
	}
	if (status >= 400) {
		r = nd_engine_error_from_response(err, status, resp->body.buf,
						  resp->body.len);
		goto done;
	}
done:
	curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	free(ct);
	free(url);
	nd_resp_release(&local);
	return r;
}

int nd_engine_connect(struct nd_engine *e, struct nd_error *err)
{
	struct nd_req req = { 0 };
	struct nd_resp resp = ND_RESP_INIT;
	int r, smaj = 0, smin = 0;

	req.path = "/_ping";
	req.flags = ND_REQ_NO_VERSION | ND_REQ_HEAD;
	req.timeout_ms = 30000;
	r = nd_engine_request(e, &req, &resp, err);
	if (r < 0 || resp.status != 200) {
		/* HEAD may be unsupported: GET gives a body to report */
		nd_error_release(err);
		nd_resp_release(&resp);
		req.flags = ND_REQ_NO_VERSION;
		r = nd_engine_request(e, &req, &resp, err);
		if (r < 0) {
			if (err && err->code != ND_EUNREACHABLE &&
			    err->code != ND_ETIMEOUT) {
				nd_error_wrap(
					err,
					"the engine at %s answered /_ping with an error",
					e->host);
				err->code = ND_EUNREACHABLE;
			}
			goto done;
		}
	}
	if (resp.api_version &&
	    sscanf(resp.api_version, "%d.%d", &smaj, &smin) == 2) {
		e->api_version_guessed = false;
	} else {
		sscanf(ND_API_FALLBACK, "%d.%d", &smaj, &smin);
		e->api_version_guessed = true;
	}
	if (smaj > ND_API_MAX_MAJOR ||
	    (smaj == ND_API_MAX_MAJOR && smin > ND_API_MAX_MINOR)) {
		smaj = ND_API_MAX_MAJOR;
		smin = ND_API_MAX_MINOR;
	}
	if (smaj < ND_API_MIN_MAJOR ||
	    (smaj == ND_API_MIN_MAJOR && smin < ND_API_MIN_MINOR)) {
		r = nd_error_set(
			err, ND_EUNSUPPORTED,
			"the engine at %s speaks API %d.%d, older than the %d.%d nextdeploy needs",
			e->host, smaj, smin, ND_API_MIN_MAJOR,
			ND_API_MIN_MINOR);
		nd_error_hint(
			err,
			"upgrade the engine (Docker 19.03 or newer, or Podman 3 or newer)");
		goto done;
	}
	e->api_major = smaj;
	e->api_minor = smin;
	snprintf(e->api_version, sizeof(e->api_version), "%d.%d", smaj, smin);
	e->podman = resp.libpod ||
		    (resp.server && strstr(resp.server, "Libpod"));
	nd_str_replace(&e->server, resp.server);
	e->connected = true;
done:
	nd_resp_release(&resp);
	return r;
}

int nd_engine_get_json(struct nd_engine *e, const char *path, cJSON **out,
		       struct nd_error *err)
{
	return nd_engine_call_json(e, "GET", path, NULL, out, err);
}

int nd_engine_call_json(struct nd_engine *e, const char *method,
			const char *path, const cJSON *body, cJSON **out,
			struct nd_error *err)
{
	struct nd_req req = { 0 };
	struct nd_resp resp = ND_RESP_INIT;
	char *json = NULL;
	int r;

	req.method = method;
	req.path = path;
	if (body) {
		json = cJSON_PrintUnformatted(body);
		req.body = json;
	}
	r = nd_engine_request(e, &req, &resp, err);
	if (r == 0 && out) {
		cJSON *doc = NULL;

		if (resp.body.len) {
			doc = cJSON_ParseWithLength(resp.body.buf,
						    resp.body.len);
			if (!doc) {
				r = nd_error_set(
					err, ND_EGENERIC,
					"the engine's answer to %s %s is not JSON",
					method, path);
				goto done;
			}
		}
		*out = doc;
	}
done:
	free(json);
	nd_resp_release(&resp);
	return r;
}
