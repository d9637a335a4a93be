/* SPDX-License-Identifier: MIT */
#ifndef ND_ENGINE_H
#define ND_ENGINE_H

#include "core/common.h"
#include "core/buf.h"
#include "core/error.h"

#include <curl/curl.h>
#include <signal.h>

struct cJSON;

/*
 * The Docker Engine API transport: libcurl over a unix socket, tcp, tcp+TLS
 * or ssh. One reusable easy handle per engine (keep-alive); streaming
 * callbacks; version negotiation through /_ping (see
 * ../shared/engine-api/NOTES.md §1).
 *
 * Where the engine is, in order: the -H value, DOCKER_HOST, the docker CLI
 * context (DOCKER_CONTEXT, then currentContext in $DOCKER_CONFIG/config.json),
 * then unix:///var/run/docker.sock (tcp://localhost:2376 when
 * DOCKER_TLS_VERIFY or DOCKER_TLS is set). TLS material comes from
 * DOCKER_CERT_PATH (default $DOCKER_CONFIG or ~/.docker): ca.pem, cert.pem,
 * key.pem.
 */

/* The API versions we speak: never above MAX, refuse engines below MIN. */
#define ND_API_MAX_MAJOR 1
#define ND_API_MAX_MINOR 47
#define ND_API_MIN_MAJOR 1
#define ND_API_MIN_MINOR 40
/* Used when the engine sends no Api-Version header (doctor reports it). */
#define ND_API_FALLBACK "1.41"

enum nd_engine_kind {
	ND_ENGINE_UNIX,
	ND_ENGINE_TCP,
	ND_ENGINE_TLS,
	ND_ENGINE_SSH,
};

struct nd_engine {
	enum nd_engine_kind kind;
	char *host;	   /* as resolved, for messages: unix:///var/run/... */
	char *host_source; /* "-H", "DOCKER_HOST", "context NAME", "default" */
	char *socket_path; /* unix (and ssh: the local relay socket) */
	char *base_url; /* "http://localhost" or "https://host:port[/base]" */
	char *ca, *cert, *key; /* TLS files, or NULL */
	bool tls_verify;
	char *ssh_target; /* ssh: [user@]host */
	char *ssh_port;
	char *ssh_socket; /* ssh: remote socket path, or NULL */
	long ssh_relay_pid;
	char *ssh_dir; /* private folder holding the relay socket */

	CURL *curl; /* the reusable handle */
	char errbuf[CURL_ERROR_SIZE];

	/* negotiated */
	bool connected;
	int api_major, api_minor;
	char api_version[16];
	bool api_version_guessed; /* no Api-Version header */
	bool podman;
	char *server; /* the Server header */
	char *os_type;
};

/*
 * Resolve where the engine is (host may be NULL) without connecting.
 * Errors: ND_EUSAGE for a malformed host string.
 */
int nd_engine_open(struct nd_engine **out, const char *host,
		   struct nd_error *err);
void nd_engine_free(struct nd_engine *e);

/*
 * Ping and negotiate the API version. ND_EUNREACHABLE (exit 3) with a hint
 * naming the socket or URL tried when nothing answers.
 */
int nd_engine_connect(struct nd_engine *e, struct nd_error *err);

/* Negotiated version at least major.minor? */
bool nd_engine_api_at_least(const struct nd_engine *e, int major, int minor);

/*
 * A new easy handle configured exactly like the engine's own (socket, TLS,
 * error buffer, trace); for concurrent requests through curl_multi and for
 * CONNECT_ONLY hijacks. The caller sets URL/method and owns the handle.
 * The error buffer is set to errbuf when non-NULL.
 */
CURL *nd_engine_easy_new(struct nd_engine *e, char *errbuf);
/* The full URL for an API path ("/containers/json"), versioned. */
char *nd_engine_url(const struct nd_engine *e, const char *path);

enum nd_req_flags {
	ND_REQ_NO_VERSION = 1 << 0, /* path without the /vX.Y prefix */
	ND_REQ_HEAD = 1 << 1,	    /* HEAD request (no body) */
};

/* Streaming response sink: return < 0 to abort the transfer. */
typedef int (*nd_write_fn)(const char *data, size_t len, void *ud);
/* Streaming request body (libcurl read callback shape). */
typedef size_t (*nd_read_fn)(char *buf, size_t size, size_t nmemb, void *ud);

struct nd_req {
	const char *method; /* default GET, or POST when there is a body */
	const char *path;   /* "/containers/json?all=1" */
	const char *body;   /* JSON (content type defaults to JSON) */
	size_t body_len;    /* 0: strlen(body) */
	const char *content_type;
	nd_read_fn read_fn; /* chunked upload of unknown size */
	void *read_ud;
	nd_write_fn write_fn; /* stream 2xx bodies here instead of resp->body */
	void *write_ud;
	const char *const *headers; /* extra "Name: value", NULL-terminated */
	long timeout_ms;	    /* whole request; 0 = no limit */
	unsigned flags;
	size_t max_body; /* cap for resp->body; 0 = 64 MiB */
	/* print these strings as [redacted] in NEXTDEPLOY_TRACE output */
	const char *const *secrets;
	/* when it becomes non-zero (a signal handler sets it), the transfer
	 * stops within about a second: ND_EINTERRUPTED */
	const volatile sig_atomic_t *cancel;
};

struct nd_resp {
	long status;
	struct nd_buf body; /* the body when not streamed; error bodies */
	char *content_type;
	char *api_version; /* Api-Version header */
	char *server;	   /* Server header */
	bool libpod;	   /* Libpod-Api-Version header present */
};
#define ND_RESP_INIT                                    \
	{                                               \
		0, ND_BUF_INIT, NULL, NULL, NULL, false \
	}
void nd_resp_release(struct nd_resp *r);

/*
 * Perform one request. A status of 400 or more becomes an error whose
 * message is the engine's own ("message" of the JSON body, or the raw text),
 * with a code the caller can act on: 404 ND_ENOTFOUND, 409 ND_ECONFLICT,
 * 401 ND_EAUTH, 400 ND_EBADREQ, 5xx ND_ESERVER (Podman's 500s for "already
 * in use/exists" and "no such" map to ND_ECONFLICT/ND_ENOTFOUND). 304 is
 * success. Transport failures are ND_EUNREACHABLE. err->http_status is set.
 * resp may be NULL when the caller wants nothing back.
 */
int nd_engine_request(struct nd_engine *e, const struct nd_req *req,
		      struct nd_resp *resp, struct nd_error *err);

/* GET path and parse the JSON body into *out (owned by the caller). */
int nd_engine_get_json(struct nd_engine *e, const char *path,
		       struct cJSON **out, struct nd_error *err);
/*
 * method path with an optional JSON body (a cJSON tree, not consumed); the
 * parsed answer goes to *out when out is non-NULL and the body is JSON.
 */
int nd_engine_call_json(struct nd_engine *e, const char *method,
			const char *path, const struct cJSON *body,
			struct cJSON **out, struct nd_error *err);

/* Turn an error response into err (used by streaming callers too). */
int nd_engine_error_from_response(struct nd_error *err, long status,
				  const char *body, size_t len);

/* Install the trace callback on a handle when NEXTDEPLOY_TRACE is set. */
void nd_engine_trace_setup(CURL *h, const char *const *secrets);

#endif
