/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/deploy_secrets.h"
#include "core/buf.h"
#include "core/project.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <unistd.h>

#define SECRET_MAX ((size_t)1 << 20)

static void wipe_free(char *s, size_t len)
{
	if (!s)
		return;
	explicit_bzero(s, len);
	free(s);
}

void nd_secrets_release(struct nd_secrets *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr; i++) {
		free(s->items[i].name);
		wipe_free(s->items[i].value, s->items[i].len);
	}
	free(s->items);
	for (size_t i = 0; i < s->nredact; i++)
		wipe_free(s->redact[i], strlen(s->redact[i]));
	free(s->redact);
	memset(s, 0, sizeof(*s));
}

const char *const *nd_secrets_redact(const struct nd_secrets *s)
{
	static const char *const none[] = { NULL };

	return s->redact ? (const char *const *)s->redact : none;
}

static void add_redact(struct nd_secrets *s, char *form)
{
	s->redact = nd_realloc(s->redact, (s->nredact + 2) * sizeof(*s->redact));
	s->redact[s->nredact++] = form;
	s->redact[s->nredact] = NULL;
}

static int read_secret_file(struct nd_buf *out, const char *path,
			    struct nd_error *err)
{
	char chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return nd_error_errno(err, ND_EPROJECT, "cannot read '%s'",
				      path);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = nd_error_errno(err, ND_EPROJECT, "cannot read '%s'",
					   path);
			break;
		}
		if (nd_buf_add(out, chunk, (size_t)n) < 0) {
			r = nd_error_set(err, ND_EPROJECT,
					 "'%s' is larger than %zu bytes", path,
					 SECRET_MAX);
			break;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return r;
}

int nd_secrets_load(struct nd_secrets *out, const struct nd_project *p,
		    struct nd_error *err)
{
	struct nd_secrets s = ND_SECRETS_INIT;
	int r = 0;

	for (size_t i = 0; i < p->deploy.nsecrets; i++) {
		const struct nd_secret *def = &p->deploy.secrets[i];
		struct nd_buf v = ND_BUF_INIT_CAP(SECRET_MAX);
		struct nd_secret_value *sv;
		char *json;

		if (def->from_env) {
			const char *val = getenv(def->from_env);

			if (!val) {
				r = nd_error_set_at(
					err, ND_EPROJECT, p->path, def->line,
					def->col,
					"secret '%s': the environment variable '%s' is not set",
					def->name, def->from_env);
				nd_error_hint(
					err,
					"export %s before deploying, or change deploy.secrets.%s",
					def->from_env, def->name);
				goto fail;
			}
			nd_buf_adds(&v, val);
		} else {
			char *path = def->from_file[0] == '/' ?
					     nd_strdup(def->from_file) :
					     nd_xprintf("%s/%s", p->dir,
							def->from_file);

			r = read_secret_file(&v, path, err);
			free(path);
			if (r < 0) {
				char *msg = nd_strdup(err->msg ? err->msg : "");

				nd_buf_release(&v);
				nd_error_set_at(err, ND_EPROJECT, p->path,
						def->line, def->col,
						"secret '%s': %s", def->name,
						msg);
				free(msg);
				goto fail;
			}
			if (v.len && v.buf[v.len - 1] == '\n')
				nd_buf_truncate(&v, v.len - 1);
			if (v.len && v.buf[v.len - 1] == '\r')
				nd_buf_truncate(&v, v.len - 1);
		}
		if (memchr(v.buf, '\0', v.len)) {
			explicit_bzero(v.buf, v.len);
			nd_buf_release(&v);
			r = nd_error_set_at(
				err, ND_EPROJECT, p->path, def->line, def->col,
				"secret '%s' holds a NUL byte, which an environment variable cannot carry",
				def->name);
			goto fail;
		}
		s.items = nd_realloc(s.items, (s.nr + 1) * sizeof(*s.items));
		sv = &s.items[s.nr++];
		sv->name = nd_strdup(def->name);
		sv->len = v.len;
		sv->value = nd_buf_detach(&v, NULL);
		if (sv->len) {
			cJSON *str = cJSON_CreateString(sv->value);

			add_redact(&s, nd_strdup(sv->value));
			/* the form it takes inside a JSON request body */
			json = cJSON_PrintUnformatted(str);
			cJSON_Delete(str);
			if (json && strlen(json) >= 2) {
				json[strlen(json) - 1] = '\0';
				add_redact(&s, nd_strdup(json + 1));
			}
			if (json)
				wipe_free(json, strlen(json));
		}
	}
	*out = s;
	return 0;
fail:
	nd_secrets_release(&s);
	return r;
}
