/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "docker/deploy_api.h"
#include "docker/api.h"
#include "docker/stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>
#include <time.h>

/* --- tar writing into an nd_buf (libarchive callbacks) --- */

static la_ssize_t tar_write_cb(struct archive *a, void *ud, const void *buf,
			       size_t len)
{
	ND_UNUSED(a);
	if (nd_buf_add(ud, buf, len) < 0)
		return -1;
	return (la_ssize_t)len;
}

static int tar_entry(struct archive *a, const char *name, mode_t type,
		     unsigned mode, long uid, long gid, const char *data,
		     size_t len, struct nd_error *err)
{
	struct archive_entry *ent = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(ent, name);
	archive_entry_set_filetype(ent, type);
	archive_entry_set_perm(ent, mode);
	archive_entry_set_uid(ent, uid);
	archive_entry_set_gid(ent, gid);
	archive_entry_set_mtime(ent, time(NULL), 0);
	archive_entry_set_size(ent, type == AE_IFREG ? (la_int64_t)len : 0);
	if (archive_write_header(a, ent) != ARCHIVE_OK ||
	    (type == AE_IFREG && len &&
	     archive_write_data(a, data, len) != (la_ssize_t)len))
		r = nd_error_set(err, ND_EGENERIC,
				 "cannot write a tar entry: %s",
				 archive_error_string(a) ?: "unknown error");
	archive_entry_free(ent);
	return r;
}

int nd_container_put_files(struct nd_engine *e, const char *id, const char *dir,
			   const char *const *dirs, unsigned dir_mode,
			   const struct nd_put_file *files, size_t nfiles,
			   const char *const *secrets, struct nd_error *err)
{
	struct nd_buf tar = ND_BUF_INIT_CAP(64 << 20);
	struct nd_buf path = ND_BUF_INIT;
	struct archive *a = archive_write_new();
	struct nd_req req = { 0 };
	long uid = nfiles ? files[0].uid : 0, gid = nfiles ? files[0].gid : 0;
	int r = 0;

	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open2(a, &tar, NULL, tar_write_cb, NULL, NULL) !=
	    ARCHIVE_OK) {
		r = nd_error_set(err, ND_EGENERIC, "cannot make a tar: %s",
				 archive_error_string(a) ?: "unknown error");
		goto done;
	}
	for (; dirs && *dirs; dirs++)
		if ((r = tar_entry(a, *dirs, AE_IFDIR, dir_mode, uid, gid, NULL,
				   0, err)) < 0)
			goto done;
	for (size_t i = 0; i < nfiles; i++)
		if ((r = tar_entry(a, files[i].name, AE_IFREG, files[i].mode,
				   files[i].uid, files[i].gid, files[i].data,
				   files[i].len, err)) < 0)
			goto done;
	if (archive_write_close(a) != ARCHIVE_OK) {
		r = nd_error_set(err, ND_EGENERIC, "cannot make a tar: %s",
				 archive_error_string(a) ?: "unknown error");
		goto done;
	}
	nd_buf_adds(&path, "/containers/");
	nd_buf_add_urlencoded(&path, id);
	nd_buf_adds(&path, "/archive?path=");
	nd_buf_add_urlencoded(&path, dir);
	req.method = "PUT";
	req.path = path.buf;
	req.body = tar.buf;
	req.body_len = tar.len;
	req.content_type = "application/x-tar";
	req.secrets = secrets;
	req.timeout_ms = 60000;
	r = nd_engine_request(e, &req, NULL, err);
done:
	archive_write_free(a);
	/* the tar may hold secrets: do not leave them in freed memory */
	if (tar.alloc)
		explicit_bzero(tar.buf, tar.alloc);
	nd_buf_release(&tar);
	nd_buf_release(&path);
	return r;
}

int nd_container_get_file(struct nd_engine *e, const char *id, const char *path,
			  size_t cap, struct nd_buf *out, struct nd_error *err)
{
	struct nd_buf p = ND_BUF_INIT;
	struct nd_resp resp = ND_RESP_INIT;
	struct nd_req req = { 0 };
	struct archive *a = NULL;
	struct archive_entry *ent;
	int r;

	nd_buf_adds(&p, "/containers/");
	nd_buf_add_urlencoded(&p, id);
	nd_buf_adds(&p, "/archive?path=");
	nd_buf_add_urlencoded(&p, path);
	req.path = p.buf;
	req.max_body = cap + 64 * 1024; /* tar headers and padding */
	req.timeout_ms = 30000;
	if ((r = nd_engine_request(e, &req, &resp, err)) < 0)
		goto done;
	a = archive_read_new();
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, resp.body.buf, resp.body.len) !=
	    ARCHIVE_OK) {
		r = nd_error_set(err, ND_EGENERIC,
				 "cannot read the archive of '%s': %s", path,
				 archive_error_string(a) ?: "unknown error");
		goto done;
	}
	r = nd_error_set(err, ND_ENOTFOUND, "'%s' is not a file", path);
	while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
		char chunk[8192];
		la_ssize_t n;

		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;
		nd_error_release(err);
		r = 0;
		nd_buf_reset(out);
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			if (out->len + (size_t)n > cap ||
			    nd_buf_add(out, chunk, (size_t)n) < 0) {
				r = nd_error_set(err, ND_EGENERIC,
						 "'%s' is larger than %zu bytes",
						 path, cap);
				goto done;
			}
		if (n < 0)
			r = nd_error_set(
				err, ND_EGENERIC,
				"cannot read '%s' from the archive: %s", path,
				archive_error_string(a) ?: "unknown error");
		break;
	}
done:
	if (a)
		archive_read_free(a);
	nd_resp_release(&resp);
	nd_buf_release(&p);
	return r;
}

struct tail_ctx {
	struct nd_buf *out;
	size_t cap;
};

static int tail_frame(int stream, const char *data, size_t len, void *ud)
{
	struct tail_ctx *t = ud;

	ND_UNUSED(stream);
	if (t->out->len + len > t->cap) {
		if (len >= t->cap) {
			nd_buf_reset(t->out);
			data += len - t->cap;
			len = t->cap;
		} else {
			nd_buf_consume(t->out, t->out->len + len - t->cap);
		}
	}
	nd_buf_add(t->out, data, len);
	return 0;
}

int nd_container_logs_tail(struct nd_engine *e, const char *id, int n,
			   size_t cap, struct nd_buf *out, struct nd_error *err)
{
	struct nd_buf p = ND_BUF_INIT;
	struct tail_ctx t = { out, cap };
	struct nd_req req = { 0 };
	struct nd_demux dm;
	cJSON *info = NULL;
	bool tty;
	int r;

	if ((r = nd_container_inspect(e, id, &info, err)) < 0)
		goto done;
	/* NOTES.md §2.3: decide mux vs raw from the TTY flag, not headers */
	tty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(info, "Config"), "Tty"));
	nd_buf_adds(&p, "/containers/");
	nd_buf_add_urlencoded(&p, id);
	nd_buf_addf(&p, "/logs?stdout=1&stderr=1&tail=%d", n);
	nd_demux_init(&dm, tty, tail_frame, &t, err);
	req.path = p.buf;
	req.write_fn = nd_demux_write;
	req.write_ud = &dm;
	req.timeout_ms = 30000;
	nd_buf_reset(out);
	r = nd_engine_request(e, &req, NULL, err);
done:
	cJSON_Delete(info);
	nd_buf_release(&p);
	return r;
}

int nd_container_rename(struct nd_engine *e, const char *id, const char *name,
			struct nd_error *err)
{
	struct nd_buf p = ND_BUF_INIT;
	struct nd_req req = { 0 };
	int r;

	nd_buf_adds(&p, "/containers/");
	nd_buf_add_urlencoded(&p, id);
	nd_buf_adds(&p, "/rename?name=");
	nd_buf_add_urlencoded(&p, name);
	req.method = "POST";
	req.path = p.buf;
	r = nd_engine_request(e, &req, NULL, err);
	nd_buf_release(&p);
	return r;
}

struct pull_ctx {
	struct nd_error *err;
	bool failed;
};

static int pull_msg(cJSON *msg, void *ud)
{
	struct pull_ctx *c = ud;
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(msg,
							       "errorDetail");
	const char *text = nd_json_str(detail, "message");

	if (!text)
		text = nd_json_str(msg, "error");
	if (text && !c->failed) {
		c->failed = true;
		nd_error_set(c->err, ND_EGENERIC, "%s", text);
	}
	return 0;
}

int nd_image_pull_simple(struct nd_engine *e, const char *ref,
			 struct nd_error *err)
{
	struct nd_buf p = ND_BUF_INIT;
	struct pull_ctx c = { err, false };
	struct nd_req req = { 0 };
	struct nd_jsonl j;
	const char *slash = strrchr(ref, '/');
	const char *at = strchr(ref, '@');
	const char *colon = strrchr(slash ? slash : ref, ':');
	char *name;
	const char *tag = "latest";
	static const char *const hdrs[] = { "X-Registry-Auth: e30=", NULL };
	int r;

	if (at) {
		name = nd_strndup(ref, (size_t)(at - ref));
		tag = at + 1;
	} else if (colon) {
		name = nd_strndup(ref, (size_t)(colon - ref));
		tag = colon + 1;
	} else {
		name = nd_strdup(ref);
	}
	nd_buf_adds(&p, "/images/create?fromImage=");
	nd_buf_add_urlencoded(&p, name);
	nd_buf_adds(&p, "&tag=");
	nd_buf_add_urlencoded(&p, tag);
	nd_jsonl_init(&j, pull_msg, &c, err);
	req.method = "POST";
	req.path = p.buf;
	req.write_fn = nd_jsonl_write;
	req.write_ud = &j;
	req.headers = hdrs;
	r = nd_engine_request(e, &req, NULL, err);
	if (r == 0)
		r = nd_jsonl_finish(&j);
	if (r == 0 && c.failed)
		r = err->code;
	nd_jsonl_release(&j);
	if (r < 0)
		nd_error_wrap(err, "pulling '%s'", ref);
	free(name);
	nd_buf_release(&p);
	return r;
}

int nd_image_exists(struct nd_engine *e, const char *ref, bool *exists,
		    struct nd_error *err)
{
	cJSON *img = NULL;
	int r = nd_image_inspect(e, ref, &img, err);

	cJSON_Delete(img);
	if (r == ND_ENOTFOUND) {
		nd_error_release(err);
		*exists = false;
		return 0;
	}
	if (r == 0)
		*exists = true;
	return r;
}

int nd_app_images_list(struct nd_engine *e, const char *app,
		       const char *release, cJSON **out, struct nd_error *err)
{
	struct nd_filters f = ND_FILTERS_INIT;
	char *l = nd_xprintf("nextdeploy.app=%s", app);
	cJSON *list = NULL, *keep;
	int r;

	nd_filters_add(&f, "label", l);
	r = nd_images_list(e, false, &f, &list, err);
	free(l);
	nd_filters_release(&f);
	if (r < 0)
		return r;
	keep = cJSON_CreateArray();
	while (cJSON_GetArraySize(list) > 0) {
		cJSON *img = cJSON_DetachItemFromArray(list, 0);

		if (nd_streq(nd_json_label(img, "nextdeploy.managed"), "true") &&
		    nd_streq(nd_json_label(img, "nextdeploy.app"), app) &&
		    (!release ||
		     nd_streq(nd_json_label(img, "nextdeploy.release"),
			      release)))
			cJSON_AddItemToArray(keep, img);
		else
			cJSON_Delete(img);
	}
	cJSON_Delete(list);
	*out = keep;
	return 0;
}
