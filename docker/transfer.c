/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "docker/transfer.h"
#include "core/buf.h"
#include "core/registry_auth.h"
#include "docker/api.h"
#include "docker/engine.h"
#include "docker/stream.h"

#include <cjson/cJSON.h>
#include <strings.h>

void nd_transfer_result_release(struct nd_transfer_result *r)
{
	if (!r)
		return;
	free(r->digest);
	free(r->status);
	memset(r, 0, sizeof(*r));
}

int nd_transfer_error_code(const char *msg, int dflt)
{
	if (nd_registry_message_is_auth(msg))
		return ND_EAUTH;
	if (msg && (strcasestr(msg, "manifest unknown") ||
		    strcasestr(msg, "not found: manifest") ||
		    (strcasestr(msg, "manifest for ") &&
		     strcasestr(msg, " not found"))))
		return ND_ENOTFOUND;
	return dflt;
}

struct xfer {
	const struct nd_transfer_opts *o;
	struct nd_transfer_result res;
	struct nd_error *err;
	bool failed;
};

/* "sha256:<hex>" at the start of s, copied; NULL when there is none. */
static char *digest_at(const char *s)
{
	size_t n;

	if (!s || strncmp(s, "sha256:", 7))
		return NULL;
	n = 7 + strspn(s + 7, "0123456789abcdef");
	return n >= 7 + 32 ? nd_strndup(s, n) : NULL;
}

static int on_msg(cJSON *msg, void *ud)
{
	struct xfer *x = ud;
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(msg,
							       "errorDetail");
	const cJSON *aux = cJSON_GetObjectItemCaseSensitive(msg, "aux");
	const char *error = nd_json_str(detail, "message");
	const char *status = nd_json_str(msg, "status");

	if (!error)
		error = nd_json_str(msg, "error");
	if (error) {
		struct nd_buf b = ND_BUF_INIT;
		size_t n = strlen(error);

		/* Podman ends its messages with a newline */
		while (n && (error[n - 1] == '\n' || error[n - 1] == '\r'))
			n--;
		nd_buf_add(&b, error, n);
		if (!x->failed)
			nd_error_set(x->err,
				     nd_transfer_error_code(b.buf, ND_EGENERIC),
				     "%s", b.buf);
		x->failed = true;
		nd_buf_release(&b);
		return -1; /* stop reading: nothing useful follows */
	}
	if (cJSON_IsObject(aux)) {
		char *d = digest_at(nd_json_str(aux, "Digest"));

		if (d) {
			free(x->res.digest);
			x->res.digest = d;
			x->res.size = nd_json_num(aux, "Size", 0);
		}
	}
	if (status) {
		const char *p;

		if (nd_starts_with(status, "Digest: ") && !x->res.digest)
			x->res.digest = digest_at(status + 8);
		else if (nd_starts_with(status, "Status: "))
			nd_str_replace(&x->res.status, status + 8);
		else if (!x->res.digest && (p = strstr(status, ": digest: ")))
			/* push without aux (older engines): "<tag>: digest: <d> size: <n>" */
			x->res.digest = digest_at(p + 10);
	}
	if (x->o->on_msg)
		x->o->on_msg(msg, x->o->ud);
	return 0;
}

static int transfer(struct nd_engine *e, const char *path, const char *what,
		    const struct nd_transfer_opts *o,
		    struct nd_transfer_result *res, struct nd_error *err)
{
	struct xfer x = { o, { 0 }, err, false };
	struct nd_error jerr = ND_ERROR_INIT;
	struct nd_req req = { 0 };
	struct nd_jsonl j;
	char *hdr = nd_xprintf("X-Registry-Auth: %s",
			       o->registry_auth ? o->registry_auth : "e30=");
	const char *headers[] = { hdr, NULL };
	const char *secrets[] = { o->registry_auth, NULL };
	int r;

	x.err = &jerr;
	nd_jsonl_init(&j, on_msg, &x, &jerr);
	req.method = "POST";
	req.path = path;
	req.write_fn = nd_jsonl_write;
	req.write_ud = &j;
	req.headers = headers;
	req.secrets = o->registry_auth && strcmp(o->registry_auth, "e30=") ?
			      secrets :
			      NULL;
	r = nd_engine_request(e, &req, NULL, err);
	if (r == 0)
		r = nd_jsonl_finish(&j);
	if (x.failed) {
		/* the in-stream error, not "write callback aborted" */
		nd_error_move(err, &jerr);
		r = err->code;
	} else if (r < 0 && jerr.code) {
		nd_error_move(err, &jerr);
		r = err->code;
	} else if (r < 0 && err->http_status >= 400) {
		/* before the stream: refine the transport's code */
		int code = nd_transfer_error_code(err->msg, err->code);

		if (code != err->code)
			err->code = r = code;
	}
	if (r < 0) {
		nd_error_wrap(err, "%s", what);
	} else if (res) {
		*res = x.res;
		memset(&x.res, 0, sizeof(x.res));
	}
	nd_transfer_result_release(&x.res);
	nd_error_release(&jerr);
	nd_jsonl_release(&j);
	free(hdr);
	return r;
}

int nd_image_pull(struct nd_engine *e, const char *repo, const char *tag,
		  const struct nd_transfer_opts *o,
		  struct nd_transfer_result *res, struct nd_error *err)
{
	struct nd_buf p = ND_BUF_INIT;
	char *what = nd_xprintf("pulling '%s%s%s'", repo,
				nd_starts_with(tag, "sha256:") ? "@" : ":",
				tag);
	int r;

	nd_buf_adds(&p, "/images/create?fromImage=");
	nd_buf_add_urlencoded(&p, repo);
	nd_buf_adds(&p, "&tag=");
	nd_buf_add_urlencoded(&p, tag);
	r = transfer(e, p.buf, what, o, res, err);
	nd_buf_release(&p);
	free(what);
	return r;
}

int nd_image_push(struct nd_engine *e, const char *repo, const char *tag,
		  const struct nd_transfer_opts *o,
		  struct nd_transfer_result *res, struct nd_error *err)
{
	struct nd_buf p = ND_BUF_INIT;
	char *what = nd_xprintf("pushing '%s:%s'", repo, tag);
	int r;

	/* the name goes into the path as it is ("host:port/a/b"), as the CLI does */
	nd_buf_addf(&p, "/images/%s/push?tag=", repo);
	nd_buf_add_urlencoded(&p, tag);
	r = transfer(e, p.buf, what, o, res, err);
	nd_buf_release(&p);
	free(what);
	return r;
}
