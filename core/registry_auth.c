/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/registry_auth.h"
#include "core/project.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define HUB_KEY "https://index.docker.io/v1/"
#define CONFIG_CAP ((size_t)16 << 20)
#define HELPER_OUT_CAP ((size_t)1 << 20)
#define HELPER_TIMEOUT_MS 30000L
#define NOT_FOUND_MSG "credentials not found"
#define TOKEN_USER "<token>"

/* --- image references --- */

static bool is_domain(const char *s, size_t n)
{
	size_t i;

	if (memchr(s, '.', n) || memchr(s, ':', n) ||
	    (n == 9 && !strncmp(s, "localhost", 9)))
		return true;
	for (i = 0; i < n; i++)
		if (isupper((unsigned char)s[i]))
			return true;
	return false;
}

int nd_ref_parse(struct nd_ref *out, const char *s, struct nd_error *err)
{
	struct nd_ref r = ND_REF_INIT;
	const char *at, *slash, *last_slash, *colon;
	char *name;

	if (!nd_image_ref_valid(s))
		return nd_error_set(err, ND_EUSAGE,
				    "invalid image reference '%s'", s ? s : "");
	at = strchr(s, '@');
	name = at ? nd_strndup(s, (size_t)(at - s)) : nd_strdup(s);
	if (at)
		r.digest = nd_strdup(at + 1);
	last_slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon && (!last_slash || colon > last_slash)) {
		r.tag = nd_strdup(colon + 1);
		name[colon - name] = '\0';
	}
	slash = strchr(name, '/');
	if (slash && is_domain(name, (size_t)(slash - name))) {
		r.domain = nd_strndup(name, (size_t)(slash - name));
		r.path = nd_strdup(slash + 1);
	} else {
		r.domain = nd_strdup("docker.io");
		r.path = nd_strdup(name);
	}
	if (!strcmp(r.domain, "index.docker.io"))
		nd_str_replace(&r.domain, "docker.io");
	if (!strcmp(r.domain, "docker.io") && !strchr(r.path, '/')) {
		char *p = nd_xprintf("library/%s", r.path);

		free(r.path);
		r.path = p;
	}
	free(name);
	*out = r;
	return 0;
}

void nd_ref_release(struct nd_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

char *nd_ref_repository(const struct nd_ref *r)
{
	return nd_xprintf("%s/%s", r->domain, r->path);
}

char *nd_ref_familiar(const struct nd_ref *r)
{
	if (strcmp(r->domain, "docker.io"))
		return nd_ref_repository(r);
	if (nd_starts_with(r->path, "library/") && !strchr(r->path + 8, '/'))
		return nd_strdup(r->path + 8);
	return nd_strdup(r->path);
}

const char *nd_registry_key(const char *host)
{
	if (!strcmp(host, "docker.io") || !strcmp(host, "index.docker.io"))
		return HUB_KEY;
	return host;
}

char *nd_registry_key_host(const char *key)
{
	const char *sep = strstr(key, "://");

	if (sep) {
		const char *auth = sep + 3;
		size_t n = strcspn(auth, "/?#");
		const char *at = memrchr(auth, '@', n);
		const char *host = at ? at + 1 : auth;
		size_t hn = n - (size_t)(host - auth);
		const char *port = NULL;
		size_t name_len = hn;

		if (hn && host[0] == '[') {
			/* [v6]:port: keep the brackets, as JoinHostPort does */
			const char *close = memchr(host, ']', hn);

			if (close) {
				name_len = (size_t)(close - host) + 1;
				if (name_len < hn && host[name_len] == ':')
					port = host + name_len + 1;
			}
		} else {
			const char *c = memchr(host, ':', hn);

			if (c) {
				name_len = (size_t)(c - host);
				port = c + 1;
			}
		}
		if (name_len > 0 && !(name_len == 2 && host[0] == '[')) {
			size_t plen = port ? hn - (size_t)(port - host) : 0;

			if (plen)
				return nd_xprintf("%.*s:%.*s", (int)name_len,
						  host, (int)plen, port);
			return nd_strndup(host, name_len);
		}
	}
	return nd_strndup(key, strcspn(key, "/"));
}

/* --- encodings (OpenSSL's base64, translated to the URL alphabet) --- */

char *nd_base64url(const void *data, size_t len)
{
	char *out = nd_malloc(4 * ((len + 2) / 3) + 1);
	int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);

	for (int i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	out[n] = '\0';
	return out;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int nd_registry_decode_auth(char **user_out, char **password_out,
			    const char *b64, struct nd_error *err)
{
	size_t len = strlen(b64), pad = 0, n;
	unsigned char *dec;
	char *colon, *pw, *pw_end;
	int r = 0;

	while (len && isspace((unsigned char)b64[len - 1]))
		len--;
	while (len && isspace((unsigned char)*b64)) {
		b64++;
		len--;
	}
	dec = nd_malloc(len / 4 * 3 + 4);
	if (len == 0 || len % 4 ||
	    EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)len) < 0) {
		r = nd_error_set(
			err, ND_EPROJECT,
			"the auth field is not base64 of user:password");
		goto done;
	}
	if (b64[len - 1] == '=')
		pad++;
	if (len > 1 && b64[len - 2] == '=')
		pad++;
	n = len / 4 * 3 - pad;
	dec[n] = '\0';
	colon = memchr(dec, ':', n);
	if (!colon || colon == (char *)dec ||
	    memchr(dec, '\0', (size_t)(colon - (char *)dec))) {
		r = nd_error_set(
			err, ND_EPROJECT,
			"the auth field is not base64 of user:password (%s)",
			colon ? "empty user name" : "no ':'");
		goto done;
	}
	/* the CLI trims NUL bytes from both ends of the password */
	pw = colon + 1;
	pw_end = (char *)dec + n;
	while (pw < pw_end && *pw == '\0')
		pw++;
	while (pw_end > pw && pw_end[-1] == '\0')
		pw_end--;
	if (memchr(pw, '\0', (size_t)(pw_end - pw))) {
		r = nd_error_set(err, ND_EPROJECT,
				 "the auth field's password holds a NUL byte");
		goto done;
	}
	*user_out = nd_strndup((char *)dec, (size_t)(colon - (char *)dec));
	*password_out = nd_strndup(pw, (size_t)(pw_end - pw));
done:
	explicit_bzero(dec, len / 4 * 3 + 4);
	free(dec);
	return r;
}

/* --- credentials --- */

bool nd_registry_cred_empty(const struct nd_registry_cred *c)
{
	return !(c->username && *c->username) &&
	       !(c->password && *c->password) &&
	       !(c->identitytoken && *c->identitytoken) &&
	       !(c->registrytoken && *c->registrytoken);
}

void nd_registry_cred_release(struct nd_registry_cred *c)
{
	if (!c)
		return;
	wipe_free(c->username);
	wipe_free(c->password);
	wipe_free(c->identitytoken);
	wipe_free(c->registrytoken);
	free(c->serveraddress);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

static void wipe_json(cJSON *o);

/* --- the configuration --- */

static void pos_of(const char *text, const char *at, int *line, int *col)
{
	const char *p;

	*line = 1;
	*col = 1;
	for (p = text; p < at && *p; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static int check_shape(const cJSON *root, const char *what, struct nd_error *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "auths");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "credHelpers");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "credsStore");
	const cJSON *c, *ao, *ho;

	if (!cJSON_IsObject(root))
		return nd_error_set(err, ND_EPROJECT,
				    "%s: expected a JSON object", what);
	if (a && !cJSON_IsObject(a) && !cJSON_IsNull(a))
		return nd_error_set(err, ND_EPROJECT,
				    "%s: \"auths\" must be an object", what);
	ao = cJSON_IsObject(a) ? a : NULL;
	cJSON_ArrayForEach(c, ao)
		if (!cJSON_IsObject(c))
			return nd_error_set(
				err, ND_EPROJECT,
				"%s: auths[\"%s\"] must be an object", what,
				c->string);
	if (h && !cJSON_IsObject(h) && !cJSON_IsNull(h))
		return nd_error_set(err, ND_EPROJECT,
				    "%s: \"credHelpers\" must be an object",
				    what);
	ho = cJSON_IsObject(h) ? h : NULL;
	cJSON_ArrayForEach(c, ho)
		if (!cJSON_IsString(c))
			return nd_error_set(
				err, ND_EPROJECT,
				"%s: credHelpers[\"%s\"] must be a string",
				what, c->string);
	if (s && !cJSON_IsString(s) && !cJSON_IsNull(s))
		return nd_error_set(err, ND_EPROJECT,
				    "%s: \"credsStore\" must be a string",
				    what);
	return 0;
}

static int parse_json(cJSON **out, const char *text, const char *what,
		      const char *file, struct nd_error *err)
{
	const char *end = NULL;
	cJSON *j;
	int line, col;

	*out = NULL;
	if (!text || blank(text))
		return 0; /* the CLI reads an empty file as no config */
	j = cJSON_ParseWithLengthOpts(text, strlen(text), &end, false);
	if (!j) {
		if (!file)
			return nd_error_set(err, ND_EPROJECT,
					    "%s is not valid JSON", what);
		pos_of(text, end ? end : text, &line, &col);
		return nd_error_set_at(err, ND_EPROJECT, file, line, col,
				       "not valid JSON");
	}
	if (check_shape(j, what, err) < 0) {
		cJSON_Delete(j);
		return ND_EPROJECT;
	}
	*out = j;
	return 0;
}

int nd_docker_config_parse(struct nd_docker_config *cfg, const char *path,
			   const char *file_json, const char *env_json,
			   struct nd_error *err)
{
	struct nd_docker_config c = ND_DOCKER_CONFIG_INIT;
	int r;

	c.path = nd_strdup(path ? path : "config.json");
	c.helper_timeout_ms = HELPER_TIMEOUT_MS;
	if ((r = parse_json(&c.file, file_json, c.path, c.path, err)) < 0 ||
	    (r = parse_json(&c.env, env_json, "DOCKER_AUTH_CONFIG", NULL,
			    err)) < 0) {
		nd_docker_config_release(&c);
		return r;
	}
	*cfg = c;
	return 0;
}

int nd_docker_config_load(struct nd_docker_config *cfg, struct nd_error *err)
{
	const char *dir = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");
	const char *env = getenv("DOCKER_AUTH_CONFIG");
	struct nd_buf text = ND_BUF_INIT_CAP(CONFIG_CAP);
	char *path, chunk[4096];
	ssize_t n = 0;
	int fd, r;

	if (dir && *dir)
		path = nd_xprintf("%s/config.json", dir);
	else
		path = nd_xprintf("%s/.docker/config.json",
				  home && *home ? home : "");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT && errno != ENOTDIR) {
		r = nd_error_errno(err, ND_EPROJECT, "cannot read '%s'", path);
		goto done;
	}
	while (fd >= 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		if (nd_buf_add(&text, chunk, (size_t)n) < 0) {
			n = -1;
			errno = EFBIG;
			break;
		}
	if (fd >= 0 && n < 0) {
		r = nd_error_errno(err, ND_EPROJECT, "cannot read '%s'", path);
		close(fd);
		goto done;
	}
	if (fd >= 0)
		close(fd);
	r = nd_docker_config_parse(cfg, path, fd >= 0 ? text.buf : NULL,
				   env && *env ? env : NULL, err);
done:
	explicit_bzero(text.buf, text.len);
	nd_buf_release(&text);
	free(path);
	return r;
}

void nd_docker_config_release(struct nd_docker_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	/* the trees hold auth fields and passwords */
	wipe_json(cfg->file);
	wipe_json(cfg->env);
	cJSON_Delete(cfg->file);
	cJSON_Delete(cfg->env);
	memset(cfg, 0, sizeof(*cfg));
}

/* --- the lookup --- */

static const char *str_item(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

/* auths[key], else the first entry whose host part is key. */
static const cJSON *find_entry(const cJSON *auths, const char *key)
{
	const cJSON *e;

	if (!cJSON_IsObject(auths))
		return NULL;
	e = cJSON_GetObjectItemCaseSensitive(auths, key);
	if (e)
		return e;
	cJSON_ArrayForEach(e, auths) {
		char *h = nd_registry_key_host(e->string);
		bool match = !strcmp(h, key);

		free(h);
		if (match)
			return e;
	}
	return NULL;
}

void nd_registry_cred_plan(struct nd_cred_plan *out,
			   const struct nd_docker_config *cfg, const char *host)
{
	const char *key = nd_registry_key(host);
	const cJSON *e, *helpers;
	const char *h;

	memset(out, 0, sizeof(*out));
	out->key = key;
	out->source = ND_CRED_ANONYMOUS;
	if (cfg->env &&
	    (e = find_entry(cJSON_GetObjectItemCaseSensitive(cfg->env, "auths"),
			    key))) {
		out->source = ND_CRED_ENV;
		out->entry = e;
		out->entry_key = e->string;
		return;
	}
	helpers = cJSON_GetObjectItemCaseSensitive(cfg->file, "credHelpers");
	if ((h = str_item(helpers, key))) {
		out->source = ND_CRED_HELPER;
		out->helper = h;
		out->from_cred_helpers = true;
		return;
	}
	if ((h = str_item(cfg->file, "credsStore"))) {
		out->source = ND_CRED_HELPER;
		out->helper = h;
		return;
	}
	e = find_entry(cJSON_GetObjectItemCaseSensitive(cfg->file, "auths"),
		       key);
	if (e) {
		out->source = ND_CRED_AUTHS;
		out->entry = e;
		out->entry_key = e->string;
	}
}

int nd_registry_cred_from_entry(struct nd_registry_cred *out,
				const cJSON *entry, const char *serveraddress,
				const char *source, struct nd_error *err)
{
	struct nd_registry_cred c = ND_REGISTRY_CRED_INIT;
	const char *auth = str_item(entry, "auth");

	if (!cJSON_IsObject(entry))
		return nd_error_set(err, ND_EPROJECT,
				    "%s: the entry for '%s' is not an object",
				    source, serveraddress);
	if (auth) {
		if (nd_registry_decode_auth(&c.username, &c.password, auth,
					    err) < 0) {
			nd_error_wrap(err, "%s: auths[\"%s\"]", source,
				      serveraddress);
			nd_error_hint(err,
				      "write it again with 'docker login %s'",
				      serveraddress);
			return ND_EPROJECT;
		}
	} else {
		c.username = nd_strdup_or_null(str_item(entry, "username"));
		c.password = nd_strdup_or_null(str_item(entry, "password"));
	}
	c.identitytoken = nd_strdup_or_null(str_item(entry, "identitytoken"));
	c.registrytoken = nd_strdup_or_null(str_item(entry, "registrytoken"));
	c.serveraddress = nd_strdup(serveraddress);
	c.source = nd_strdup(source);
	*out = c;
	return 0;
}

/* --- credential helpers --- */

static bool helper_name_ok(const char *s)
{
	if (!s || !*s || *s == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L +
	       (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

int nd_cred_helper_run(const char *name, const char *action, const char *input,
		       long timeout_ms, struct nd_buf *out, int *status,
		       struct nd_error *err)
{
	int in[2] = { -1, -1 }, o[2] = { -1, -1 }, rc, ws = 0, r = 0;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t def;
	char *prog = NULL;
	char *argv[3];
	pid_t pid = -1;
	struct timespec t0;
	bool reaped = false;

	if (!helper_name_ok(name))
		return nd_error_set(err, ND_EUSAGE,
				    "invalid credential helper name '%s'",
				    name ? name : "");
	prog = nd_xprintf("docker-credential-%s", name);
	/*
	 * stdin is a socket, not a pipe: send(MSG_NOSIGNAL) to a helper that
	 * never reads it gives EPIPE, never a SIGPIPE to whoever links us.
	 */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
	    pipe2(o, O_CLOEXEC) < 0) {
		r = nd_error_errno(err, ND_EGENERIC, "cannot make a pipe");
		goto done;
	}
	argv[0] = prog;
	argv[1] = (char *)action;
	argv[2] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	/* SIGPIPE is ignored here; the helper gets the default back */
	posix_spawnattr_init(&attr);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&pid, prog, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(in[0]);
	close(o[1]);
	in[0] = o[1] = -1;
	if (rc) {
		pid = -1;
		errno = rc;
		if (rc == ENOENT)
			r = nd_error_set(
				err, ND_ENOTFOUND,
				"the credential helper '%s' is not installed (not found on PATH)",
				prog);
		else
			r = nd_error_errno(err, ND_EGENERIC, "cannot run '%s'",
					   prog);
		goto done;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the input is a server URL: it fits the buffer, send never blocks */
	if (input && *input &&
	    send(in[1], input, strlen(input), MSG_NOSIGNAL) < 0 &&
	    errno != EPIPE && errno != ECONNRESET) {
		r = nd_error_errno(err, ND_EGENERIC, "cannot write to '%s'",
				   prog);
		goto done;
	}
	close(in[1]);
	in[1] = -1;
	for (;;) {
		struct pollfd pfd = { o[0], POLLIN, 0 };
		long left = timeout_ms - ms_since(&t0);
		char chunk[4096];
		ssize_t n;

		if (left <= 0) {
			r = nd_error_set(
				err, ND_ETIMEOUT,
				"the credential helper '%s' did not answer within %lds",
				prog, (timeout_ms + 999) / 1000);
			goto done;
		}
		if (poll(&pfd, 1, (int)(left > 100 ? 100 : left)) < 0 &&
		    errno != EINTR) {
			r = nd_error_errno(err, ND_EGENERIC, "poll");
			goto done;
		}
		if (!pfd.revents)
			continue;
		n = read(o[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (nd_buf_add(out, chunk, (size_t)n) < 0 ||
		    out->len > HELPER_OUT_CAP) {
			r = nd_error_set(
				err, ND_EGENERIC,
				"the credential helper '%s' answered more than 1 MiB",
				prog);
			goto done;
		}
	}
	/* stdout is closed; the helper should be gone (or about to be) */
	while (!reaped) {
		pid_t w = waitpid(pid, &ws, WNOHANG);

		if (w == pid) {
			reaped = true;
			break;
		}
		if (w < 0 && errno != EINTR) {
			r = nd_error_errno(err, ND_EGENERIC, "waitpid");
			goto done;
		}
		if (ms_since(&t0) >= timeout_ms) {
			r = nd_error_set(
				err, ND_ETIMEOUT,
				"the credential helper '%s' did not exit within %lds",
				prog, (timeout_ms + 999) / 1000);
			goto done;
		}
		poll(NULL, 0, 10);
	}
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
done:
	if (pid > 0 && !reaped) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (o[0] >= 0)
		close(o[0]);
	if (o[1] >= 0)
		close(o[1]);
	free(prog);
	return r;
}

/* The helper's message, trimmed and made printable. */
static char *helper_message(const struct nd_buf *out)
{
	struct nd_buf b = ND_BUF_INIT;
	size_t s = 0, e = out->len;

	while (s < e && isspace((unsigned char)out->buf[s]))
		s++;
	while (e > s && isspace((unsigned char)out->buf[e - 1]))
		e--;
	if (e - s > 300)
		e = s + 300;
	nd_buf_add_sanitized(&b, out->buf + s, e - s, false);
	return nd_buf_detach(&b, NULL);
}

static int helper_get(struct nd_registry_cred *out,
		      const struct nd_docker_config *cfg, const char *helper,
		      bool from_cred_helpers, const char *key,
		      struct nd_error *err)
{
	struct nd_registry_cred c = ND_REGISTRY_CRED_INIT;
	struct nd_buf o = ND_BUF_INIT;
	cJSON *j = NULL;
	const char *user, *secret;
	char *msg = NULL;
	int status = 0, r;

	r = nd_cred_helper_run(helper, "get", key,
			       cfg->helper_timeout_ms > 0 ?
				       cfg->helper_timeout_ms :
				       HELPER_TIMEOUT_MS,
			       &o, &status, err);
	if (r < 0) {
		nd_error_hint(
			err,
			"install docker-credential-%s, or remove it from %s in '%s'",
			helper,
			from_cred_helpers ? "credHelpers" : "credsStore",
			cfg->path);
		goto done;
	}
	if (status) {
		msg = helper_message(&o);
		if (!strncasecmp(msg, NOT_FOUND_MSG, strlen(NOT_FOUND_MSG))) {
			*out = c; /* anonymous */
			goto done;
		}
		r = nd_error_set(
			err, ND_EAUTH,
			"the credential helper 'docker-credential-%s' failed for '%s' (exit status %d)%s%s",
			helper, key, status, *msg ? ": " : "", msg);
		goto done;
	}
	j = cJSON_ParseWithLength(o.buf, o.len);
	if (!cJSON_IsObject(j)) {
		r = nd_error_set(
			err, ND_EAUTH,
			"the credential helper 'docker-credential-%s' answered something that is not a JSON object for '%s'",
			helper, key);
		goto done;
	}
	user = str_item(j, "Username");
	secret = str_item(j, "Secret");
	if (user && !strcmp(user, TOKEN_USER)) {
		c.identitytoken = nd_strdup_or_null(secret);
	} else {
		c.username = nd_strdup_or_null(user);
		c.password = nd_strdup_or_null(secret);
	}
	c.serveraddress = nd_strdup(key);
	c.source = nd_xprintf("docker-credential-%s (%s)", helper,
			      from_cred_helpers ? "credHelpers" : "credsStore");
	*out = c;
done:
	if (j) {
		/* wipe the secret inside the parsed tree too */
		cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "Secret");

		if (cJSON_IsString(s))
			explicit_bzero(s->valuestring, strlen(s->valuestring));
		cJSON_Delete(j);
	}
	explicit_bzero(o.buf, o.len);
	nd_buf_release(&o);
	free(msg);
	return r;
}

int nd_registry_cred_lookup(struct nd_registry_cred *out,
			    const struct nd_docker_config *cfg,
			    const char *host, struct nd_error *err)
{
	struct nd_cred_plan p;
	struct nd_registry_cred c = ND_REGISTRY_CRED_INIT;
	char *src;
	int r = 0;

	nd_registry_cred_plan(&p, cfg, host);
	switch (p.source) {
	case ND_CRED_ANONYMOUS:
		break;
	case ND_CRED_ENV:
		r = nd_registry_cred_from_entry(&c, p.entry, p.entry_key,
						"DOCKER_AUTH_CONFIG", err);
		break;
	case ND_CRED_AUTHS:
		src = nd_xprintf("%s (auths)", cfg->path);
		r = nd_registry_cred_from_entry(&c, p.entry, p.entry_key, src,
						err);
		free(src);
		break;
	case ND_CRED_HELPER:
		r = helper_get(&c, cfg, p.helper, p.from_cred_helpers, p.key,
			       err);
		break;
	}
	if (r < 0)
		return r;
	*out = c;
	return 0;
}

/* --- headers --- */

static cJSON *auth_json(const struct nd_registry_cred *c)
{
	cJSON *o = cJSON_CreateObject();

	if (c->identitytoken && *c->identitytoken) {
		cJSON_AddStringToObject(o, "identitytoken", c->identitytoken);
	} else {
		if (c->username && *c->username)
			cJSON_AddStringToObject(o, "username", c->username);
		if (c->password && *c->password)
			cJSON_AddStringToObject(o, "password", c->password);
	}
	if (c->registrytoken && *c->registrytoken)
		cJSON_AddStringToObject(o, "registrytoken", c->registrytoken);
	if (c->serveraddress && *c->serveraddress)
		cJSON_AddStringToObject(o, "serveraddress", c->serveraddress);
	return o;
}

/* Encode and wipe: the JSON text holds the secrets. */
static char *encode_json(cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);
	char *enc;

	if (!text)
		BUG("cJSON_PrintUnformatted failed");
	enc = nd_base64url(text, strlen(text));
	explicit_bzero(text, strlen(text));
	cJSON_free(text);
	return enc;
}

static void wipe_json(cJSON *o)
{
	cJSON *c;

	if (!o)
		return;
	if (cJSON_IsString(o) && o->valuestring)
		explicit_bzero(o->valuestring, strlen(o->valuestring));
	cJSON_ArrayForEach(c, o)
		wipe_json(c);
}

char *nd_registry_auth_header(const struct nd_registry_cred *c)
{
	cJSON *o;
	char *enc;

	if (!c || nd_registry_cred_empty(c))
		return nd_strdup("e30=");
	o = auth_json(c);
	enc = encode_json(o);
	wipe_json(o);
	cJSON_Delete(o);
	return enc;
}

static void map_put(cJSON *map, const char *key,
		    const struct nd_registry_cred *c)
{
	if (nd_registry_cred_empty(c))
		return;
	if (cJSON_GetObjectItemCaseSensitive(map, key)) {
		cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(map, key);

		wipe_json(old);
		cJSON_Delete(old);
	}
	cJSON_AddItemToObject(map, key, auth_json(c));
}

static void note_failure(struct nd_buf *failed, struct nd_error *e)
{
	if (failed && e->msg)
		nd_buf_addf(failed, "%s\n", e->msg);
	nd_error_release(e);
}

/* Every credential the configuration knows (GetAllCredentials). */
static void all_credentials(cJSON *map, const struct nd_docker_config *cfg,
			    struct nd_buf *failed)
{
	const char *store = str_item(cfg->file, "credsStore");
	const cJSON *e;
	struct nd_error err = ND_ERROR_INIT;

	if (store) {
		struct nd_buf o = ND_BUF_INIT;
		cJSON *list = NULL;
		int status = 0;

		if (nd_cred_helper_run(store, "list", "",
				       cfg->helper_timeout_ms > 0 ?
					       cfg->helper_timeout_ms :
					       HELPER_TIMEOUT_MS,
				       &o, &status, &err) < 0) {
			note_failure(failed, &err);
		} else if (status ||
			   !cJSON_IsObject(list = cJSON_ParseWithLength(
						   o.buf, o.len))) {
			char *msg = helper_message(&o);

			nd_error_set(
				&err, ND_EAUTH,
				"docker-credential-%s list failed (exit status %d)%s%s",
				store, status, *msg ? ": " : "", msg);
			free(msg);
			note_failure(failed, &err);
		} else {
			cJSON_ArrayForEach(e, list) {
				struct nd_registry_cred c = ND_REGISTRY_CRED_INIT;

				if (helper_get(&c, cfg, store, false, e->string,
					       &err) < 0)
					note_failure(failed, &err);
				else
					map_put(map, e->string, &c);
				nd_registry_cred_release(&c);
			}
		}
		cJSON_Delete(list);
		nd_buf_release(&o);
	} else {
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(
					      cfg->file, "auths")) {
			struct nd_registry_cred c = ND_REGISTRY_CRED_INIT;
			char *src = nd_xprintf("%s (auths)", cfg->path);

			if (nd_registry_cred_from_entry(&c, e, e->string, src,
							&err) < 0)
				note_failure(failed, &err);
			else
				map_put(map, e->string, &c);
			nd_registry_cred_release(&c);
			free(src);
		}
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cfg->env,
							       "auths")) {
		struct nd_registry_cred c = ND_REGISTRY_CRED_INIT;

		if (nd_registry_cred_from_entry(&c, e, e->string,
						"DOCKER_AUTH_CONFIG", &err) < 0)
			note_failure(failed, &err);
		else
			map_put(map, e->string, &c);
		nd_registry_cred_release(&c);
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cfg->file,
							       "credHelpers")) {
		struct nd_registry_cred c = ND_REGISTRY_CRED_INIT;

		if (!cJSON_IsString(e) || !*e->valuestring)
			continue;
		if (helper_get(&c, cfg, e->valuestring, true, e->string, &err) <
		    0)
			note_failure(failed, &err);
		else
			map_put(map, e->string, &c);
		nd_registry_cred_release(&c);
	}
}

char *nd_registry_config_header(const struct nd_docker_config *cfg,
				const struct nd_strvec *hosts, bool all,
				struct nd_buf *failed)
{
	cJSON *map = cJSON_CreateObject();
	struct nd_error err = ND_ERROR_INIT;
	char *enc;

	if (!cfg->file && !cfg->env) {
		/* nothing configured */
	} else if (all) {
		all_credentials(map, cfg, failed);
	} else {
		for (size_t i = 0; hosts && i < hosts->nr; i++) {
			struct nd_registry_cred c = ND_REGISTRY_CRED_INIT;

			if (nd_registry_cred_lookup(&c, cfg, hosts->items[i],
						    &err) < 0)
				note_failure(failed, &err);
			else
				map_put(map, nd_registry_key(hosts->items[i]),
					&c);
			nd_registry_cred_release(&c);
		}
	}
	enc = cJSON_GetArraySize(map) ? encode_json(map) : nd_strdup("e30=");
	wipe_json(map);
	cJSON_Delete(map);
	return enc;
}

/* --- the registries of a Dockerfile --- */

struct df_vars {
	const struct nd_kvlist *args; /* build args (value may be NULL) */
	struct nd_kvlist declared;    /* global ARGs and their defaults */
};

static const char *var_value(const struct df_vars *v, const char *name,
			     size_t n, bool *known)
{
	size_t i;
	char *key = nd_strndup(name, n);
	const char *val = NULL;

	*known = false;
	for (i = 0; i < v->declared.nr; i++)
		if (!strcmp(v->declared.items[i].key, key)) {
			const char *b = v->args ? nd_kvlist_get(v->args, key) :
						  NULL;

			*known = true;
			val = b ? b : v->declared.items[i].value;
			break;
		}
	free(key);
	return val;
}

/*
 * Expand $X, ${X}, ${X:-w}, ${X:+w} with the global ARGs; false when a
 * variable is not declared (we cannot know what the engine will see).
 */
static bool expand(struct nd_buf *out, const char *s, const struct df_vars *v,
		   char esc)
{
	while (*s) {
		const char *name, *word = NULL;
		size_t n, wn = 0;
		char op = 0;
		const char *val;
		bool known;

		if (*s == esc && s[1] == '$') {
			nd_buf_addch(out, '$');
			s += 2;
			continue;
		}
		if (*s != '$') {
			nd_buf_addch(out, *s++);
			continue;
		}
		s++;
		if (*s == '{') {
			const char *close = strchr(s, '}');

			if (!close)
				return false;
			name = s + 1;
			n = strcspn(name, ":}");
			if (name[n] == ':' &&
			    (name[n + 1] == '-' || name[n + 1] == '+')) {
				op = name[n + 1];
				word = name + n + 2;
				wn = (size_t)(close - word);
			} else if (name[n] != '}') {
				return false;
			}
			s = close + 1;
		} else {
			name = s;
			n = 0;
			while (isalnum((unsigned char)name[n]) || name[n] == '_')
				n++;
			if (!n) {
				nd_buf_addch(out, '$');
				continue;
			}
			s += n;
		}
		val = var_value(v, name, n, &known);
		if (!known)
			return false;
		if (op == '-')
			nd_buf_add(out, val && *val ? val : word,
				   val && *val ? strlen(val) : wn);
		else if (op == '+')
			nd_buf_add(out, word, val && *val ? wn : 0);
		else if (val)
			nd_buf_adds(out, val);
	}
	return true;
}

/* Split a logical line into words (quotes kept out, no expansion). */
static void words(struct nd_strvec *w, const char *s)
{
	while (*s) {
		struct nd_buf b = ND_BUF_INIT;
		char q = 0;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		while (*s && (q || !isspace((unsigned char)*s))) {
			if (!q && (*s == '"' || *s == '\'')) {
				q = *s++;
				continue;
			}
			if (q && *s == q) {
				q = 0;
				s++;
				continue;
			}
			nd_buf_addch(&b, *s++);
		}
		nd_strvec_push_nodup(w, nd_buf_detach(&b, NULL));
	}
}

static void add_host(struct nd_strvec *hosts, const char *image)
{
	struct nd_ref r = ND_REF_INIT;

	if (nd_ref_parse(&r, image, NULL) < 0)
		return; /* the engine will say what is wrong with it */
	if (!nd_strvec_contains(hosts, r.domain))
		nd_strvec_push(hosts, r.domain);
	nd_ref_release(&r);
}

static bool is_stage(const struct nd_strvec *stages, const char *name)
{
	for (size_t i = 0; i < stages->nr; i++)
		if (!strcasecmp(stages->items[i], name))
			return true;
	return false;
}

static void one_image(struct nd_strvec *hosts, bool *unresolved,
		      const char *word, const struct df_vars *v,
		      const struct nd_strvec *stages, char esc)
{
	struct nd_buf b = ND_BUF_INIT;

	if (!expand(&b, word, v, esc) || strchr(b.buf, '$')) {
		*unresolved = true;
	} else if (b.len && strcasecmp(b.buf, "scratch") &&
		   !is_stage(stages, b.buf)) {
		add_host(hosts, b.buf);
	}
	nd_buf_release(&b);
}

static void instruction(struct nd_strvec *hosts, bool *unresolved,
			const char *line, struct df_vars *v,
			struct nd_strvec *stages, bool *seen_from, char esc)
{
	struct nd_strvec w = ND_STRVEC_INIT;
	size_t i = 1;

	words(&w, line);
	if (!w.nr)
		goto done;
	if (!strcasecmp(w.items[0], "ARG") && !*seen_from) {
		for (; i < w.nr; i++) {
			char *eq = strchr(w.items[i], '=');

			if (eq) {
				*eq = '\0';
				nd_kvlist_set(&v->declared, w.items[i], eq + 1);
			} else {
				nd_kvlist_set(&v->declared, w.items[i], NULL);
			}
		}
	} else if (!strcasecmp(w.items[0], "FROM")) {
		*seen_from = true;
		while (i < w.nr && nd_starts_with(w.items[i], "--"))
			i++;
		if (i < w.nr)
			one_image(hosts, unresolved, w.items[i], v, stages, esc);
		if (i + 2 < w.nr && !strcasecmp(w.items[i + 1], "AS"))
			nd_strvec_push(stages, w.items[i + 2]);
		else
			nd_strvec_push(stages, ""); /* keeps the count */
	} else if (!strcasecmp(w.items[0], "COPY")) {
		for (; i < w.nr && nd_starts_with(w.items[i], "--"); i++) {
			const char *from = w.items[i] + 2;
			bool digits = true;

			if (strncasecmp(from, "from=", 5))
				continue;
			from += 5;
			for (const char *p = from; *p; p++)
				if (!isdigit((unsigned char)*p))
					digits = false;
			if (*from && !digits)
				one_image(hosts, unresolved, from, v, stages,
					  esc);
		}
	}
done:
	nd_strvec_release(&w);
}

void nd_dockerfile_registries(struct nd_strvec *hosts, bool *unresolved,
			      const char *dockerfile,
			      const struct nd_kvlist *args)
{
	struct df_vars v = { args, ND_KVLIST_INIT };
	struct nd_strvec stages = ND_STRVEC_INIT;
	struct nd_buf logical = ND_BUF_INIT;
	const char *p = dockerfile;
	bool seen_from = false, directives = true;
	char esc = '\\';

	*unresolved = false;
	while (p && *p) {
		size_t n = strcspn(p, "\n");
		char *line = nd_strndup(p, n);
		size_t len = n;
		const char *t = line;

		p += n + (p[n] == '\n');
		while (len && isspace((unsigned char)line[len - 1]))
			line[--len] = '\0';
		while (isspace((unsigned char)*t))
			t++;
		if (*t == '#') {
			/* "# escape=`" before anything else is a directive */
			if (directives) {
				const char *d = t + 1;

				while (isspace((unsigned char)*d))
					d++;
				if (!strncasecmp(d, "escape", 6)) {
					d += 6;
					while (isspace((unsigned char)*d))
						d++;
					if (*d == '=') {
						d++;
						while (isspace(
							(unsigned char)*d))
							d++;
						if (*d == '`' || *d == '\\')
							esc = *d;
					}
				}
			}
			free(line);
			continue; /* comments end nothing, even mid-line-continuation */
		}
		directives = false;
		if (!*t && !logical.len) {
			free(line);
			continue;
		}
		if (len && line[len - 1] == esc) {
			nd_buf_add(&logical, t, strlen(t) - 1);
			nd_buf_addch(&logical, ' ');
			free(line);
			continue;
		}
		nd_buf_adds(&logical, t);
		instruction(hosts, unresolved, logical.buf, &v, &stages,
			    &seen_from, esc);
		nd_buf_reset(&logical);
		free(line);
	}
	if (logical.len)
		instruction(hosts, unresolved, logical.buf, &v, &stages,
			    &seen_from, esc);
	nd_buf_release(&logical);
	nd_strvec_release(&stages);
	nd_kvlist_release(&v.declared);
}

bool nd_registry_message_is_auth(const char *msg)
{
	static const char *const words_[] = {
		"unauthorized",
		"authentication required",
		"no basic auth credentials",
		"access to the resource is denied",
		"denied:",
		"incorrect username or password",
		"authorization failed",
	};

	if (!msg)
		return false;
	for (size_t i = 0; i < ND_ARRAY_SIZE(words_); i++)
		if (strcasestr(msg, words_[i]))
			return true;
	return false;
}
