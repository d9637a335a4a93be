/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: registry credentials as the docker CLI finds them (every
 * lookup rule), the X-Registry-* encodings, credential helpers (with small
 * shell scripts as helpers), and the registries a Dockerfile pulls from.
 */
#include "tests/unit/unit.h"
#include "core/buf.h"
#include "core/registry_auth.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

static char *b64(const char *s, size_t n)
{
	char *out = nd_malloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

/* Decode a base64url header back to its JSON text. */
static char *unheader(const char *h)
{
	size_t n = strlen(h);
	char *std = nd_strdup(h);
	unsigned char *out = nd_malloc(n + 4);
	int len;
	size_t pad = 0;

	for (size_t i = 0; i < n; i++)
		if (std[i] == '-')
			std[i] = '+';
		else if (std[i] == '_')
			std[i] = '/';
	len = EVP_DecodeBlock(out, (unsigned char *)std, (int)n);
	if (n && h[n - 1] == '=')
		pad++;
	if (n > 1 && h[n - 2] == '=')
		pad++;
	free(std);
	if (len < 0) {
		free(out);
		return NULL;
	}
	out[len - (int)pad] = '\0';
	return (char *)out;
}

/* --- references --- */

static void check_ref(const char *s, const char *domain, const char *path,
		      const char *tag, const char *digest, const char *familiar)
{
	struct nd_ref r = ND_REF_INIT;
	struct nd_error err = ND_ERROR_INIT;
	char *f;

	if (nd_ref_parse(&r, s, &err) < 0) {
		UNIT_FAIL("'%s' did not parse: %s", s, err.msg);
		nd_error_release(&err);
		return;
	}
	CHECK_STR(r.domain, domain);
	CHECK_STR(r.path, path);
	CHECK_STR(r.tag, tag);
	CHECK_STR(r.digest, digest);
	f = nd_ref_familiar(&r);
	CHECK_STR(f, familiar);
	free(f);
	nd_ref_release(&r);
}

TEST(ref_normalisation)
{
	static const char dg[] = "sha256:0cfa2cd4aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	char *s = nd_xprintf("registry.example.com/team/app@%s", dg);
	struct nd_ref r = ND_REF_INIT;
	struct nd_error err = ND_ERROR_INIT;
	char *repo;

	check_ref("busybox", "docker.io", "library/busybox", NULL, NULL, "busybox");
	check_ref("busybox:local", "docker.io", "library/busybox", "local", NULL, "busybox");
	check_ref("library/busybox:1", "docker.io", "library/busybox", "1", NULL, "busybox");
	check_ref("docker.io/library/busybox:1", "docker.io", "library/busybox", "1", NULL, "busybox");
	check_ref("index.docker.io/library/busybox", "docker.io", "library/busybox", NULL, NULL, "busybox");
	check_ref("docker.io/busybox", "docker.io", "library/busybox", NULL, NULL, "busybox");
	check_ref("acme/shop:3f2a1c9", "docker.io", "acme/shop", "3f2a1c9", NULL, "acme/shop");
	check_ref("127.0.0.1:5000/app:1", "127.0.0.1:5000", "app", "1", NULL, "127.0.0.1:5000/app");
	check_ref("localhost/app", "localhost", "app", NULL, NULL, "localhost/app");
	check_ref("localhost:5000/a/b/c:t", "localhost:5000", "a/b/c", "t", NULL, "localhost:5000/a/b/c");
	check_ref("ghcr.io/org/app", "ghcr.io", "org/app", NULL, NULL, "ghcr.io/org/app");
	check_ref(s, "registry.example.com", "team/app", NULL, dg, "registry.example.com/team/app");
	/* a component without '.' or ':' is a Docker Hub namespace */
	check_ref("team/app", "docker.io", "team/app", NULL, NULL, "team/app");

	CHECK_INT(nd_ref_parse(&r, "127.0.0.1:5000/App", &err), ND_EUSAGE);
	CHECK_CONTAINS(err.msg, "invalid image reference '127.0.0.1:5000/App'");
	nd_error_release(&err);
	CHECK_INT(nd_ref_parse(&r, "", &err), ND_EUSAGE);
	nd_error_release(&err);
	CHECK_INT(nd_ref_parse(&r, "app:bad tag", &err), ND_EUSAGE);
	nd_error_release(&err);

	CHECK_INT(nd_ref_parse(&r, "busybox", &err), 0);
	repo = nd_ref_repository(&r);
	CHECK_STR(repo, "docker.io/library/busybox");
	free(repo);
	nd_ref_release(&r);
	free(s);
}

TEST(registry_keys)
{
	static const struct {
		const char *key, *host;
	} cases[] = {
		{ "https://registry.example.com/v2/", "registry.example.com" },
		{ "registry.example.com/v2/", "registry.example.com" },
		{ "registry.example.com", "registry.example.com" },
		{ "http://127.0.0.1:5000", "127.0.0.1:5000" },
		{ "http://127.0.0.1:5000/", "127.0.0.1:5000" },
		{ "127.0.0.1:5000/v1/", "127.0.0.1:5000" },
		{ "https://user:pw@host.example:8443/x?y", "host.example:8443" },
		{ "https://host.example:/v2", "host.example" },
		{ "https://[::1]:5000/v2/", "[::1]:5000" },
		{ "https://[::1]/v2/", "[::1]" },
		{ "https://index.docker.io/v1/", "index.docker.io" },
		{ "https:///nohost", "https:" },
	};

	for (size_t i = 0; i < ND_ARRAY_SIZE(cases); i++) {
		char *h = nd_registry_key_host(cases[i].key);

		if (strcmp(h, cases[i].host))
			UNIT_FAIL("key_host(%s) = %s, want %s", cases[i].key, h,
				  cases[i].host);
		free(h);
	}
	CHECK_STR(nd_registry_key("docker.io"), "https://index.docker.io/v1/");
	CHECK_STR(nd_registry_key("index.docker.io"), "https://index.docker.io/v1/");
	CHECK_STR(nd_registry_key("127.0.0.1:5000"), "127.0.0.1:5000");
	CHECK_STR(nd_registry_key("registry-1.docker.io"), "registry-1.docker.io");
}

/* --- encodings --- */

TEST(base64url_padded)
{
	static const unsigned char plus_slash[] = { 0xfb, 0xff, 0xbf };
	char *s;

	s = nd_base64url("{}", 2);
	CHECK_STR(s, "e30=");
	free(s);
	/* standard base64 would be "+/+/": silently dropped by the engine */
	s = nd_base64url(plus_slash, 3);
	CHECK_STR(s, "-_-_");
	free(s);
	s = nd_base64url(plus_slash, 2);
	CHECK_STR(s, "-_8=");
	free(s);
	s = nd_base64url(plus_slash, 1);
	CHECK_STR(s, "-w==");
	free(s);
	s = nd_base64url("", 0);
	CHECK_STR(s, "");
	free(s);
}

static void check_decode(const char *plain, size_t n, const char *user,
			 const char *pw)
{
	char *enc = b64(plain, n), *u = NULL, *p = NULL;
	struct nd_error err = ND_ERROR_INIT;

	if (nd_registry_decode_auth(&u, &p, enc, &err) < 0) {
		UNIT_FAIL("decode of %s failed: %s", enc, err.msg);
	} else {
		CHECK_STR(u, user);
		CHECK_STR(p, pw);
	}
	nd_error_release(&err);
	free(u);
	free(p);
	free(enc);
}

static void check_decode_fails(const char *enc, const char *why)
{
	char *u = NULL, *p = NULL;
	struct nd_error err = ND_ERROR_INIT;

	CHECK_INT(nd_registry_decode_auth(&u, &p, enc, &err), ND_EPROJECT);
	CHECK_CONTAINS(err.msg, why);
	CHECK(!u && !p);
	nd_error_release(&err);
}

TEST(auth_field_decoding)
{
	char *e;

	check_decode("feasuser:feaspass", 17, "feasuser", "feaspass");
	/* split at the first ':' only */
	check_decode("u:pa:ss", 7, "u", "pa:ss");
	check_decode("u:", 2, "u", "");
	/* NUL bytes at either end of the password are trimmed (the CLI) */
	check_decode("user:pass\0\0", 11, "user", "pass");
	check_decode("user:\0pass\0", 11, "user", "pass");
	/* every padding length */
	check_decode("ab:c", 4, "ab", "c");
	check_decode("ab:cd", 5, "ab", "cd");
	check_decode("ab:cde", 6, "ab", "cde");
	/* surrounding whitespace is tolerated */
	e = b64("a:b", 3);
	{
		char *w = nd_xprintf("  %s\n", e), *u = NULL, *p = NULL;
		struct nd_error err = ND_ERROR_INIT;

		CHECK_INT(nd_registry_decode_auth(&u, &p, w, &err), 0);
		CHECK_STR(u, "a");
		CHECK_STR(p, "b");
		free(u);
		free(p);
		free(w);
	}
	free(e);

	e = b64(":pass", 5);
	check_decode_fails(e, "empty user name");
	free(e);
	e = b64("nopass", 6);
	check_decode_fails(e, "no ':'");
	free(e);
	e = b64("u:p\0q", 5);
	check_decode_fails(e, "NUL");
	free(e);
	check_decode_fails("not base64!", "not base64");
	check_decode_fails("abc", "not base64");
	check_decode_fails("", "not base64");
}

/* --- the configuration and the lookup rules --- */

static struct nd_docker_config cfg_of(const char *file, const char *env)
{
	struct nd_docker_config c = ND_DOCKER_CONFIG_INIT;
	struct nd_error err = ND_ERROR_INIT;

	if (nd_docker_config_parse(&c, "/cfg/config.json", file, env, &err) < 0)
		UNIT_FAIL("config did not parse: %s", err.msg);
	nd_error_release(&err);
	return c;
}

static void check_config_error(const char *file, const char *env,
			       const char *msg, int line, int col)
{
	struct nd_docker_config c = ND_DOCKER_CONFIG_INIT;
	struct nd_error err = ND_ERROR_INIT;

	CHECK_INT(nd_docker_config_parse(&c, "/cfg/config.json", file, env,
					 &err),
		  ND_EPROJECT);
	CHECK_CONTAINS(err.msg, msg);
	CHECK_INT(err.line, line);
	CHECK(col ? err.col > 0 : err.col == 0);
	CHECK(!c.file && !c.env && !c.path);
	nd_error_release(&err);
}

TEST(config_errors)
{
	struct nd_docker_config c;

	check_config_error("{\n  \"auths\": {,\n}", NULL, "not valid JSON", 2, 1);
	check_config_error("[]", NULL, "expected a JSON object", 0, 0);
	check_config_error("{\"auths\":[]}", NULL, "\"auths\" must be an object", 0, 0);
	check_config_error("{\"auths\":{\"h\":\"x\"}}", NULL, "auths[\"h\"] must be an object", 0, 0);
	check_config_error("{\"credHelpers\":{\"h\":1}}", NULL, "credHelpers[\"h\"] must be a string", 0, 0);
	check_config_error("{\"credsStore\":{}}", NULL, "\"credsStore\" must be a string", 0, 0);
	check_config_error(NULL, "{auths", "DOCKER_AUTH_CONFIG is not valid JSON", 0, 0);
	/* empty files and nulls are no configuration, as for the CLI */
	c = cfg_of("", NULL);
	CHECK(!c.file);
	nd_docker_config_release(&c);
	c = cfg_of(" \n", "");
	CHECK(!c.file && !c.env);
	nd_docker_config_release(&c);
	c = cfg_of("{\"auths\":null,\"credsStore\":null}", NULL);
	CHECK(c.file != NULL);
	nd_docker_config_release(&c);
}

static void check_plan(const char *file, const char *env, const char *host,
		       enum nd_cred_source source, const char *entry_key,
		       const char *helper)
{
	struct nd_docker_config c = cfg_of(file, env);
	struct nd_cred_plan p;

	nd_registry_cred_plan(&p, &c, host);
	if (p.source != source)
		UNIT_FAIL("host %s: source %d, want %d (config %s, env %s)",
			  host, (int)p.source, (int)source, file ? file : "-",
			  env ? env : "-");
	CHECK_STR(p.key, nd_registry_key(host));
	CHECK_STR(p.entry_key, entry_key);
	CHECK_STR(p.helper, helper);
	nd_docker_config_release(&c);
}

TEST(lookup_rules)
{
	const char *h = "127.0.0.1:5000";

	/* no configuration at all: anonymous */
	check_plan(NULL, NULL, h, ND_CRED_ANONYMOUS, NULL, NULL);
	check_plan("{}", NULL, h, ND_CRED_ANONYMOUS, NULL, NULL);
	/* auths: the exact key */
	check_plan("{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"eA==\"}}}", NULL, h,
		   ND_CRED_AUTHS, "127.0.0.1:5000", NULL);
	/* auths: a key whose host part is the registry, with scheme and path */
	check_plan("{\"auths\":{\"https://127.0.0.1:5000/v2/\":{}}}", NULL, h,
		   ND_CRED_AUTHS, "https://127.0.0.1:5000/v2/", NULL);
	check_plan("{\"auths\":{\"127.0.0.1:5000/v1/\":{}}}", NULL, h,
		   ND_CRED_AUTHS, "127.0.0.1:5000/v1/", NULL);
	/* the exact key wins over an earlier host match */
	check_plan("{\"auths\":{\"http://127.0.0.1:5000\":{},\"127.0.0.1:5000\":{}}}",
		   NULL, h, ND_CRED_AUTHS, "127.0.0.1:5000", NULL);
	/* among host matches, the first in the file */
	check_plan("{\"auths\":{\"http://127.0.0.1:5000\":{},\"https://127.0.0.1:5000/v2/\":{}}}",
		   NULL, h, ND_CRED_AUTHS, "http://127.0.0.1:5000", NULL);
	/* another port is another registry */
	check_plan("{\"auths\":{\"127.0.0.1:5001\":{},\"127.0.0.1\":{}}}", NULL, h,
		   ND_CRED_ANONYMOUS, NULL, NULL);
	/* Docker Hub: the key is the v1 URL, for docker.io and index.docker.io */
	check_plan("{\"auths\":{\"https://index.docker.io/v1/\":{}}}", NULL,
		   "docker.io", ND_CRED_AUTHS, "https://index.docker.io/v1/", NULL);
	check_plan("{\"auths\":{\"https://index.docker.io/v1/\":{}}}", NULL,
		   "index.docker.io", ND_CRED_AUTHS, "https://index.docker.io/v1/", NULL);
	/* ...and only that key: docker.io or index.docker.io entries do not count */
	check_plan("{\"auths\":{\"docker.io\":{},\"index.docker.io\":{},\"https://index.docker.io/v2/\":{}}}",
		   NULL, "docker.io", ND_CRED_ANONYMOUS, NULL, NULL);
	/* credsStore: over auths (which is then not looked at) */
	check_plan("{\"credsStore\":\"pass\",\"auths\":{\"127.0.0.1:5000\":{}}}",
		   NULL, h, ND_CRED_HELPER, NULL, "pass");
	/* credHelpers: over credsStore and auths, by the exact key */
	check_plan("{\"credsStore\":\"pass\",\"credHelpers\":{\"127.0.0.1:5000\":\"ndtest\"},\"auths\":{\"127.0.0.1:5000\":{}}}",
		   NULL, h, ND_CRED_HELPER, NULL, "ndtest");
	check_plan("{\"credsStore\":\"pass\",\"credHelpers\":{\"https://127.0.0.1:5000\":\"ndtest\"}}",
		   NULL, h, ND_CRED_HELPER, NULL, "pass");
	check_plan("{\"credHelpers\":{\"https://index.docker.io/v1/\":\"hub\"}}",
		   NULL, "docker.io", ND_CRED_HELPER, NULL, "hub");
	check_plan("{\"credHelpers\":{\"other.example\":\"x\"},\"auths\":{\"127.0.0.1:5000\":{}}}",
		   NULL, h, ND_CRED_AUTHS, "127.0.0.1:5000", NULL);
	/* an empty credsStore is none */
	check_plan("{\"credsStore\":\"\",\"auths\":{\"127.0.0.1:5000\":{}}}",
		   NULL, h, ND_CRED_AUTHS, "127.0.0.1:5000", NULL);
	/* DOCKER_AUTH_CONFIG: before helpers and auths */
	check_plan("{\"credHelpers\":{\"127.0.0.1:5000\":\"ndtest\"},\"auths\":{\"127.0.0.1:5000\":{}}}",
		   "{\"auths\":{\"127.0.0.1:5000\":{}}}", h, ND_CRED_ENV,
		   "127.0.0.1:5000", NULL);
	check_plan(NULL, "{\"auths\":{\"https://127.0.0.1:5000/v2/\":{}}}", h,
		   ND_CRED_ENV, "https://127.0.0.1:5000/v2/", NULL);
	/* ...and falls back to the store for other registries */
	check_plan("{\"credsStore\":\"pass\"}", "{\"auths\":{\"other.example\":{}}}",
		   h, ND_CRED_HELPER, NULL, "pass");
}

TEST(entries_and_headers)
{
	struct nd_docker_config c = cfg_of(
		"{\"auths\":{"
		"\"a.example\":{\"auth\":\"ZmVhc3VzZXI6ZmVhc3Bhc3M=\",\"username\":\"ignored\"},"
		"\"b.example\":{\"username\":\"u\",\"password\":\"p\"},"
		"\"c.example\":{\"identitytoken\":\"tok\",\"auth\":\"dTpw\"},"
		"\"d.example\":{\"registrytoken\":\"rt\"},"
		"\"e.example\":{\"auth\":\"%%%\"}}}",
		NULL);
	struct nd_registry_cred cr = ND_REGISTRY_CRED_INIT;
	struct nd_error err = ND_ERROR_INIT;
	char *h, *j;

	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "a.example", &err), 0);
	CHECK_STR(cr.username, "feasuser");
	CHECK_STR(cr.password, "feaspass");
	CHECK_STR(cr.serveraddress, "a.example");
	CHECK_STR(cr.source, "/cfg/config.json (auths)");
	h = nd_registry_auth_header(&cr);
	j = unheader(h);
	CHECK_STR(j, "{\"username\":\"feasuser\",\"password\":\"feaspass\",\"serveraddress\":\"a.example\"}");
	CHECK(!strchr(h, '+') && !strchr(h, '/'));
	CHECK_INT(strlen(h) % 4, 0);
	free(h);
	free(j);
	nd_registry_cred_release(&cr);
	CHECK(!cr.username && !cr.password);

	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "b.example", &err), 0);
	CHECK_STR(cr.username, "u");
	CHECK_STR(cr.password, "p");
	nd_registry_cred_release(&cr);

	/* an identity token is sent instead of user and password */
	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "c.example", &err), 0);
	h = nd_registry_auth_header(&cr);
	j = unheader(h);
	CHECK_STR(j, "{\"identitytoken\":\"tok\",\"serveraddress\":\"c.example\"}");
	free(h);
	free(j);
	nd_registry_cred_release(&cr);

	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "d.example", &err), 0);
	h = nd_registry_auth_header(&cr);
	j = unheader(h);
	CHECK_STR(j, "{\"registrytoken\":\"rt\",\"serveraddress\":\"d.example\"}");
	free(h);
	free(j);
	nd_registry_cred_release(&cr);

	/* a broken auth field is an error naming the entry, not anonymous */
	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "e.example", &err), ND_EPROJECT);
	CHECK_CONTAINS(err.msg, "/cfg/config.json (auths): auths[\"e.example\"]: the auth field is not base64");
	CHECK_CONTAINS(err.hint, "docker login e.example");
	nd_error_release(&err);

	/* anonymous: e30=, never an absent header */
	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "z.example", &err), 0);
	CHECK(nd_registry_cred_empty(&cr));
	CHECK(cr.source == NULL);
	h = nd_registry_auth_header(&cr);
	CHECK_STR(h, "e30=");
	free(h);
	h = nd_registry_auth_header(NULL);
	CHECK_STR(h, "e30=");
	free(h);
	nd_docker_config_release(&c);

	/* DOCKER_AUTH_CONFIG entries name their source */
	c = cfg_of(NULL, "{\"auths\":{\"a.example\":{\"auth\":\"dTpw\"}}}");
	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "a.example", &err), 0);
	CHECK_STR(cr.source, "DOCKER_AUTH_CONFIG");
	CHECK_STR(cr.username, "u");
	CHECK_STR(cr.password, "p");
	nd_registry_cred_release(&cr);
	nd_docker_config_release(&c);
}

/* --- credential helpers, run for real --- */

static char helper_dir[64];

static void write_helper(const char *suffix, const char *body)
{
	char *path = nd_xprintf("%s/docker-credential-%s", helper_dir, suffix);
	FILE *f = fopen(path, "w");

	if (!f) {
		UNIT_FAIL("cannot write %s", path);
		free(path);
		return;
	}
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
	free(path);
}

static void setup_helpers(void)
{
	const char *old = getenv("PATH");
	char *path;

	snprintf(helper_dir, sizeof(helper_dir), "/tmp/nd-unit-helpers-XXXXXX");
	if (!mkdtemp(helper_dir))
		BUG("mkdtemp");
	/* answers for 127.0.0.1:5000, records its stdin and argv */
	write_helper("ndtest",
		     "in=$(cat); printf '%s' \"$in\" >\"$(dirname \"$0\")/stdin.$1\"\n"
		     "case \"$1:$in\" in\n"
		     "get:127.0.0.1:5000) echo '{\"ServerURL\":\"127.0.0.1:5000\",\"Username\":\"ndtest\",\"Secret\":\"s3cret\"}' ;;\n"
		     "get:tok.example) echo '{\"ServerURL\":\"tok.example\",\"Username\":\"<token>\",\"Secret\":\"idtok\"}' ;;\n"
		     "get:*) echo 'credentials not found in native keychain'; exit 1 ;;\n"
		     "list:*) echo '{\"127.0.0.1:5000\":\"ndtest\",\"tok.example\":\"<token>\"}' ;;\n"
		     "esac");
	write_helper("broken", "echo 'the keychain is locked'; exit 3");
	write_helper("garbage", "echo 'not json'");
	write_helper("slow", "exec sleep 5");
	write_helper("closer", "exec >&-; sleep 5");
	path = nd_xprintf("%s:%s", helper_dir, old ? old : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	free(path);
}

static void teardown_helpers(void)
{
	static const char *const names[] = { "ndtest", "broken", "garbage",
					     "slow", "closer" };
	char *p;

	for (size_t i = 0; i < ND_ARRAY_SIZE(names); i++) {
		p = nd_xprintf("%s/docker-credential-%s", helper_dir, names[i]);
		unlink(p);
		free(p);
	}
	p = nd_xprintf("%s/stdin.get", helper_dir);
	unlink(p);
	free(p);
	p = nd_xprintf("%s/stdin.list", helper_dir);
	unlink(p);
	free(p);
	rmdir(helper_dir);
}

TEST(helper_protocol)
{
	struct nd_docker_config c = cfg_of(
		"{\"credsStore\":\"ndtest\",\"credHelpers\":{\"x.example\":\"broken\","
		"\"g.example\":\"garbage\",\"m.example\":\"missing\",\"s.example\":\"slow\"},"
		"\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"d3Jvbmc6d3Jvbmc=\"}}}",
		NULL);
	struct nd_registry_cred cr = ND_REGISTRY_CRED_INIT;
	struct nd_error err = ND_ERROR_INIT;
	char *p, *in;

	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "127.0.0.1:5000", &err), 0);
	CHECK_STR(cr.username, "ndtest");
	CHECK_STR(cr.password, "s3cret");
	CHECK_STR(cr.serveraddress, "127.0.0.1:5000");
	CHECK_STR(cr.source, "docker-credential-ndtest (credsStore)");
	nd_registry_cred_release(&cr);
	/* the server URL on stdin, without a newline */
	p = nd_xprintf("%s/stdin.get", helper_dir);
	in = unit_read_file(p, NULL);
	CHECK_STR(in, "127.0.0.1:5000");
	free(in);

	/* Docker Hub: the helper gets the v1 URL */
	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "docker.io", &err), 0);
	CHECK(nd_registry_cred_empty(&cr)); /* "credentials not found": anonymous */
	in = unit_read_file(p, NULL);
	CHECK_STR(in, "https://index.docker.io/v1/");
	free(in);
	free(p);
	nd_registry_cred_release(&cr);

	/* "<token>" user: an identity token */
	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "tok.example", &err), 0);
	CHECK(!cr.username && !cr.password);
	CHECK_STR(cr.identitytoken, "idtok");
	nd_registry_cred_release(&cr);

	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "x.example", &err), ND_EAUTH);
	CHECK_CONTAINS(err.msg, "'docker-credential-broken' failed for 'x.example' (exit status 3): the keychain is locked");
	nd_error_release(&err);
	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "g.example", &err), ND_EAUTH);
	CHECK_CONTAINS(err.msg, "not a JSON object");
	nd_error_release(&err);
	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "m.example", &err), ND_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "'docker-credential-missing' is not installed");
	CHECK_CONTAINS(err.hint, "remove it from credHelpers in '/cfg/config.json'");
	nd_error_release(&err);
	c.helper_timeout_ms = 300;
	CHECK_INT(nd_registry_cred_lookup(&cr, &c, "s.example", &err), ND_ETIMEOUT);
	CHECK_CONTAINS(err.msg, "did not answer within 1s");
	nd_error_release(&err);
	nd_docker_config_release(&c);
}

TEST(helper_run_edges)
{
	struct nd_buf out = ND_BUF_INIT;
	struct nd_error err = ND_ERROR_INIT;
	int status = -1;

	CHECK_INT(nd_cred_helper_run("../ndtest", "get", "x", 1000, &out,
				     &status, &err),
		  ND_EUSAGE);
	nd_error_release(&err);
	CHECK_INT(nd_cred_helper_run("", "get", "x", 1000, &out, &status, &err),
		  ND_EUSAGE);
	nd_error_release(&err);
	/* a helper that closes stdout but does not exit is still bounded */
	CHECK_INT(nd_cred_helper_run("closer", "get", "x", 300, &out, &status,
				     &err),
		  ND_ETIMEOUT);
	CHECK_CONTAINS(err.msg, "did not exit");
	nd_error_release(&err);
	CHECK_INT(nd_cred_helper_run("ndtest", "list", "", 2000, &out, &status,
				     &err),
		  0);
	CHECK_INT(status, 0);
	CHECK_CONTAINS(out.buf, "\"tok.example\"");
	nd_buf_release(&out);
}

TEST(registry_config_for_builds)
{
	struct nd_docker_config c = cfg_of(
		"{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"dTpw\"},"
		"\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnB3\"},"
		"\"bad.example\":{\"auth\":\"%%\"}},"
		"\"credHelpers\":{\"tok.example\":\"ndtest\",\"x.example\":\"broken\"}}",
		NULL);
	struct nd_strvec hosts = ND_STRVEC_INIT;
	struct nd_buf failed = ND_BUF_INIT;
	char *h, *j;

	/* only the hosts asked for, Docker Hub under its key */
	nd_strvec_push(&hosts, "127.0.0.1:5000");
	nd_strvec_push(&hosts, "docker.io");
	nd_strvec_push(&hosts, "nothing.example");
	h = nd_registry_config_header(&c, &hosts, false, &failed);
	j = unheader(h);
	CHECK_STR(j, "{\"127.0.0.1:5000\":{\"username\":\"u\",\"password\":\"p\",\"serveraddress\":\"127.0.0.1:5000\"},"
		     "\"https://index.docker.io/v1/\":{\"username\":\"hub\",\"password\":\"hubpw\",\"serveraddress\":\"https://index.docker.io/v1/\"}}");
	CHECK_INT(failed.len, 0);
	free(h);
	free(j);

	/* everything: auths, then every credHelpers entry; failures named */
	h = nd_registry_config_header(&c, NULL, true, &failed);
	j = unheader(h);
	CHECK_CONTAINS(j, "\"127.0.0.1:5000\":{");
	CHECK_CONTAINS(j, "\"tok.example\":{\"identitytoken\":\"idtok\",\"serveraddress\":\"tok.example\"}");
	CHECK(!strstr(j, "bad.example") && !strstr(j, "x.example"));
	CHECK_CONTAINS(failed.buf, "auths[\"bad.example\"]");
	CHECK_CONTAINS(failed.buf, "docker-credential-broken");
	free(h);
	free(j);
	nd_buf_release(&failed);
	nd_docker_config_release(&c);

	/* a credsStore: its list, then each get */
	c = cfg_of("{\"credsStore\":\"ndtest\",\"auths\":{\"a.example\":{\"auth\":\"dTpw\"}}}",
		   "{\"auths\":{\"env.example\":{\"username\":\"e\",\"password\":\"v\"}}}");
	h = nd_registry_config_header(&c, NULL, true, &failed);
	j = unheader(h);
	CHECK_CONTAINS(j, "\"127.0.0.1:5000\":{\"username\":\"ndtest\",\"password\":\"s3cret\"");
	CHECK_CONTAINS(j, "\"env.example\":{\"username\":\"e\"");
	CHECK(!strstr(j, "a.example")); /* auths is not the store */
	free(h);
	free(j);
	nd_docker_config_release(&c);

	/* nothing configured: e30= */
	c = cfg_of(NULL, NULL);
	h = nd_registry_config_header(&c, &hosts, false, NULL);
	CHECK_STR(h, "e30=");
	free(h);
	h = nd_registry_config_header(&c, NULL, true, NULL);
	CHECK_STR(h, "e30=");
	free(h);
	nd_docker_config_release(&c);
	nd_strvec_release(&hosts);
	nd_buf_release(&failed);
}

/* --- Dockerfile registries --- */

static void check_df(const char *df, const struct nd_kvlist *args,
		     const char *want, bool want_unresolved)
{
	struct nd_strvec hosts = ND_STRVEC_INIT;
	struct nd_buf got = ND_BUF_INIT;
	bool unresolved = !want_unresolved;

	nd_dockerfile_registries(&hosts, &unresolved, df, args);
	for (size_t i = 0; i < hosts.nr; i++)
		nd_buf_addf(&got, "%s%s", i ? " " : "", hosts.items[i]);
	if (strcmp(got.buf, want) || unresolved != want_unresolved)
		UNIT_FAIL("hosts of\n%s\n= [%s] unresolved %d, want [%s] %d",
			  df, got.buf, unresolved, want, want_unresolved);
	nd_buf_release(&got);
	nd_strvec_release(&hosts);
}

TEST(dockerfile_registries)
{
	struct nd_kvlist args = ND_KVLIST_INIT;

	check_df("FROM node:20-bookworm-slim\nRUN true\n", NULL, "docker.io", false);
	check_df("from 127.0.0.1:5000/base:1 as build\nFROM build\nCOPY --from=build /a /b\n",
		 NULL, "127.0.0.1:5000", false);
	check_df("FROM scratch\nCOPY x /\n", NULL, "", false);
	check_df("FROM --platform=linux/amd64 ghcr.io/o/b AS b\n"
		 "FROM reg.example:5000/x/y@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		 "COPY --from=0 /a /b\nCOPY --chown=1 --from=nginx:1 /etc/nginx /n\n"
		 "COPY --from=B /a /c\n",
		 NULL, "ghcr.io reg.example:5000 docker.io", false);
	/* global ARGs with defaults, overridden by build args */
	check_df("ARG REG=127.0.0.1:5000\nARG TAG\nFROM ${REG}/base:${TAG:-1}\n",
		 NULL, "127.0.0.1:5000", false);
	nd_kvlist_set(&args, "REG", "other.example");
	check_df("ARG REG=127.0.0.1:5000\nFROM $REG/base\n", &args, "other.example", false);
	/* a build arg without value falls back to the default */
	nd_kvlist_set(&args, "REG", NULL);
	check_df("ARG REG=127.0.0.1:5000\nFROM $REG/base\n", &args, "127.0.0.1:5000", false);
	/* not declared before FROM: unknown, every credential goes */
	check_df("FROM $BASE\n", NULL, "", true);
	check_df("FROM a.example/x\nARG LATE=b.example\nFROM ${LATE}/y\n", NULL, "a.example", true);
	check_df("FROM ${BROKEN\n", NULL, "", true);
	/* continuation lines, comments inside them, the escape directive */
	check_df("FROM \\\n  # a comment\n  127.0.0.1:5000/base \\\n  AS b\n", NULL,
		 "127.0.0.1:5000", false);
	check_df("# escape=`\nFROM `\n  q.example/x\nRUN echo \\\n", NULL, "q.example", false);
	/* quoted ARG values, several per line */
	check_df("ARG A=\"r.example\" B='x'\nFROM $A/$B\n", NULL, "r.example", false);
	/* duplicates once */
	check_df("FROM busybox\nFROM busybox:1\nFROM library/busybox\n", NULL, "docker.io", false);
	check_df("", NULL, "", false);
	nd_kvlist_release(&args);
}

TEST(auth_messages)
{
	CHECK(nd_registry_message_is_auth("unauthorized: authentication required"));
	CHECK(nd_registry_message_is_auth("Head \"http://127.0.0.1:5000/v2/x/manifests/1\": no basic auth credentials"));
	CHECK(nd_registry_message_is_auth("denied: requested access to the resource is denied"));
	CHECK(nd_registry_message_is_auth("unauthorized: incorrect username or password"));
	CHECK(!nd_registry_message_is_auth("manifest for x:1 not found: manifest unknown"));
	CHECK(!nd_registry_message_is_auth(NULL));
}

int main(void)
{
	RUN(ref_normalisation);
	RUN(registry_keys);
	RUN(base64url_padded);
	RUN(auth_field_decoding);
	RUN(config_errors);
	RUN(lookup_rules);
	RUN(entries_and_headers);
	setup_helpers();
	RUN(helper_protocol);
	RUN(helper_run_edges);
	RUN(registry_config_for_builds);
	teardown_helpers();
	RUN(dockerfile_registries);
	RUN(auth_messages);
	return unit_done();
}
