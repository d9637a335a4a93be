/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/error.h"
#include "core/exit.h"
#include "core/buf.h"

int nd_error_vset(struct nd_error *err, int code, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (code >= 0)
		BUG("error code %d is not negative", code);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (!err) {
		free(msg);
		return code;
	}
	nd_error_release(err);
	err->code = code;
	err->msg = msg ? msg : nd_strdup(fmt);
	return code;
}

int nd_error_set(struct nd_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nd_error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int nd_error_set_at(struct nd_error *err, int code, const char *file, int line,
		    int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nd_error_vset(err, code, fmt, ap);
	va_end(ap);
	if (err) {
		err->file = nd_strdup_or_null(file);
		err->line = line;
		err->col = col;
	}
	return code;
}

int nd_error_errno(struct nd_error *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	nd_error_vset(err, code, fmt, ap);
	va_end(ap);
	if (err && err->msg) {
		char *m = nd_xprintf("%s: %s", err->msg, strerror(saved));

		free(err->msg);
		err->msg = m;
	}
	errno = saved;
	return code;
}

int nd_error_wrap(struct nd_error *err, const char *fmt, ...)
{
	struct nd_buf b = ND_BUF_INIT;
	va_list ap;

	if (!err)
		return ND_EGENERIC;
	if (!err->code)
		BUG("wrapping an empty error");
	va_start(ap, fmt);
	nd_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (err->msg)
		nd_buf_addf(&b, ": %s", err->msg);
	free(err->msg);
	err->msg = nd_buf_detach(&b, NULL);
	return err->code;
}

void nd_error_hint(struct nd_error *err, const char *fmt, ...)
{
	va_list ap;
	char *h = NULL;

	if (!err)
		return;
	va_start(ap, fmt);
	if (vasprintf(&h, fmt, ap) < 0)
		h = NULL;
	va_end(ap);
	free(err->hint);
	err->hint = h;
}

void nd_error_release(struct nd_error *err)
{
	if (!err)
		return;
	free(err->msg);
	free(err->hint);
	free(err->file);
	*err = (struct nd_error)ND_ERROR_INIT;
}

void nd_error_move(struct nd_error *dst, struct nd_error *src)
{
	nd_error_release(dst);
	*dst = *src;
	*src = (struct nd_error)ND_ERROR_INIT;
}

int nd_error_exit_code(const struct nd_error *err)
{
	switch (err->code) {
	case ND_OK:
		return ND_EXIT_OK;
	case ND_EUSAGE:
	case ND_EPROJECT:
		return ND_EXIT_USAGE;
	case ND_EUNREACHABLE:
		return ND_EXIT_UNREACHABLE;
	case ND_EINTERRUPTED:
		return ND_EXIT_INTERRUPTED;
	default:
		return ND_EXIT_FAIL;
	}
}

const char *nd_error_code_name(int code)
{
	switch (code) {
	case ND_OK:
		return "ok";
	case ND_ENOTFOUND:
		return "not_found";
	case ND_ECONFLICT:
		return "conflict";
	case ND_EAUTH:
		return "auth";
	case ND_ETIMEOUT:
		return "timeout";
	case ND_EUNREACHABLE:
		return "engine_unreachable";
	case ND_EUSAGE:
		return "usage";
	case ND_EPROJECT:
		return "project";
	case ND_EINTERRUPTED:
		return "interrupted";
	case ND_EUNSUPPORTED:
		return "unsupported";
	case ND_ESERVER:
		return "engine_error";
	case ND_EBADREQ:
		return "bad_request";
	case ND_ELOCKED:
		return "locked";
	default:
		return "failed";
	}
}
