/* SPDX-License-Identifier: MIT */
/* Unit tests: where the engine is (hosts, environment), without connecting. */
#include "tests/unit/unit.h"
#include "docker/engine.h"

static void clear_env(void)
{
	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_CONTEXT");
	unsetenv("DOCKER_TLS_VERIFY");
	unsetenv("DOCKER_TLS");
	unsetenv("DOCKER_CERT_PATH");
	setenv("DOCKER_CONFIG", "/nonexistent-nd-config", 1);
}

static struct nd_engine *open_host(const char *h, struct nd_error *err)
{
	struct nd_engine *e = NULL;

	if (nd_engine_open(&e, h, err) < 0)
		return NULL;
	return e;
}

TEST(default_is_the_local_socket)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_engine *e;

	clear_env();
	e = open_host(NULL, &err);
	CHECK(e != NULL);
	if (!e)
		return;
	CHECK_INT(e->kind, ND_ENGINE_UNIX);
	CHECK_STR(e->socket_path, "/var/run/docker.sock");
	CHECK_STR(e->host, "unix:///var/run/docker.sock");
	CHECK_STR(e->host_source, "default");
	nd_engine_free(e);
}

TEST(hosts_parse)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_engine *e;

	clear_env();
	e = open_host("unix:///run/podman/podman.sock", &err);
	CHECK_STR(e->socket_path, "/run/podman/podman.sock");
	CHECK_STR(e->host_source, "-H");
	nd_engine_free(e);
	e = open_host("tcp://10.0.0.5:2375", &err);
	CHECK_INT(e->kind, ND_ENGINE_TCP);
	CHECK_STR(e->base_url, "http://10.0.0.5:2375");
	nd_engine_free(e);
	/* a bare host:port is tcp; no port means 2375 */
	e = open_host("example.com", &err);
	CHECK_STR(e->base_url, "http://example.com:2375");
	nd_engine_free(e);
	e = open_host("tcp://h:2375/base", &err);
	CHECK_STR(e->base_url, "http://h:2375/base");
	nd_engine_free(e);
	e = open_host("ssh://deploy@host:2222/run/docker.sock", &err);
	CHECK_INT(e->kind, ND_ENGINE_SSH);
	CHECK_STR(e->ssh_target, "deploy@host");
	CHECK_STR(e->ssh_port, "2222");
	CHECK_STR(e->ssh_socket, "/run/docker.sock");
	nd_engine_free(e);
	e = open_host("ssh://host", &err);
	CHECK_STR(e->ssh_target, "host");
	CHECK(e->ssh_port == NULL);
	nd_engine_free(e);
	CHECK(open_host("http://x", &err) == NULL);
	CHECK_INT(err.code, ND_EUSAGE);
	CHECK(open_host("ssh://u:pw@h", &err) == NULL);
	CHECK_CONTAINS(err.msg, "password");
	CHECK(open_host("ssh://h?x=1", &err) == NULL);
	nd_error_release(&err);
}

TEST(tls_from_environment)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_engine *e;

	clear_env();
	/* any non-empty DOCKER_TLS_VERIFY turns verification on, even "0" */
	setenv("DOCKER_TLS_VERIFY", "0", 1);
	setenv("DOCKER_CERT_PATH", "/nonexistent-certs", 1);
	e = open_host("tcp://h:2376", &err);
	CHECK_INT(e->kind, ND_ENGINE_TLS);
	CHECK(e->tls_verify);
	CHECK_STR(e->base_url, "https://h:2376");
	nd_engine_free(e);
	/* TLS with no host at all defaults to tcp://localhost:2376 */
	e = open_host(NULL, &err);
	CHECK_STR(e->base_url, "https://localhost:2376");
	nd_engine_free(e);
	unsetenv("DOCKER_TLS_VERIFY");
	setenv("DOCKER_TLS", "1", 1);
	e = open_host("tcp://h:2376", &err);
	CHECK_INT(e->kind, ND_ENGINE_TLS);
	CHECK(!e->tls_verify);
	nd_engine_free(e);
	clear_env();
	setenv("DOCKER_HOST", "tcp://envhost:1234", 1);
	e = open_host(NULL, &err);
	CHECK_STR(e->host_source, "DOCKER_HOST");
	CHECK_STR(e->base_url, "http://envhost:1234");
	nd_engine_free(e);
	/* -H beats DOCKER_HOST */
	e = open_host("unix:///x.sock", &err);
	CHECK_STR(e->socket_path, "/x.sock");
	nd_engine_free(e);
	clear_env();
	setenv("DOCKER_CONTEXT", "missing-ctx", 1);
	CHECK(open_host(NULL, &err) == NULL);
	CHECK_CONTAINS(err.msg, "docker context 'missing-ctx' not found");
	nd_error_release(&err);
	clear_env();
}

TEST(error_bodies)
{
	struct nd_error err = ND_ERROR_INIT;
	const char *podman = "{\"cause\":\"that name is already in use\",\"message\":\"creating container storage: the container name \\\"x\\\" is already in use\",\"response\":500}";

	CHECK_INT(nd_engine_error_from_response(&err, 404, "{\"message\":\"No such container: x\"}", 35), ND_ENOTFOUND);
	CHECK_STR(err.msg, "No such container: x");
	CHECK_INT(err.http_status, 404);
	CHECK_INT(nd_engine_error_from_response(&err, 500, podman, strlen(podman)), ND_ECONFLICT);
	CHECK_INT(nd_engine_error_from_response(&err, 400, "client version 1.11 is too old\n", 31), ND_EBADREQ);
	CHECK_STR(err.msg, "HTTP 400: client version 1.11 is too old");
	CHECK_INT(nd_engine_error_from_response(&err, 404, "Not Found", 9), ND_ENOTFOUND);
	CHECK_INT(nd_engine_error_from_response(&err, 502, "", 0), ND_ESERVER);
	CHECK_STR(err.msg, "HTTP 502");
	nd_error_release(&err);
}

int main(void)
{
	RUN(default_is_the_local_socket);
	RUN(hosts_parse);
	RUN(tls_from_environment);
	RUN(error_bodies);
	return unit_done();
}
