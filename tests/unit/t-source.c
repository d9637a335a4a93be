/* SPDX-License-Identifier: MIT */
/* Unit tests: ssh host keys against known_hosts; URLs shown without secrets. */
#include "tests/unit/unit.h"
#include "core/known_hosts.h"
#include "core/source.h"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#define K1 "AAAAC3NzaC1lZDI1NTE5AAAAIAyzM9X1jELzp8WHkEOS2kvNLAEGjvoe3NDi0wlG085v"
#define K2 "AAAAC3NzaC1lZDI1NTE5AAAAIPfBdGp0eUxHFgqN3zWLEZ2Qb+QjjqQ+IplzBIrF9CZF"

/* the raw key blob, as libgit2 hands it to the certificate callback */
static size_t raw_key(unsigned char *out, const char *b64)
{
	int n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)strlen(b64));
	size_t pad = 0;

	if (n < 0)
		return 0;
	for (const char *p = b64 + strlen(b64); p > b64 && p[-1] == '='; p--)
		pad++;
	return (size_t)n - pad;
}

static void write_known_hosts(const char *home, const char *text)
{
	char *dir = nd_xprintf("%s/.ssh", home);
	char *path = nd_xprintf("%s/known_hosts", dir);
	FILE *f;

	mkdir(dir, 0700);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	free(path);
	free(dir);
}

TEST(known_hosts)
{
	char tmpl[] = "/tmp/nd-unit-kh-XXXXXX";
	unsigned char k1[128], k2[128];
	size_t l1 = raw_key(k1, K1), l2 = raw_key(k2, K2);
	char fp[96];

	CHECK(mkdtemp(tmpl) != NULL);
	setenv("HOME", tmpl, 1);
	write_known_hosts(tmpl,
		"git.example.com ssh-ed25519 " K1 "\n"
		"[127.0.0.1]:2222 ssh-ed25519 " K1 "\n"
		"|1|2eHeF0FA7FjTrZDiZSTb5OSRgBo=|wCGbzU3mU/TEHIlynWEkTxunihk= ssh-ed25519 " K2 "\n");
	CHECK_INT(nd_known_hosts_check("git.example.com", 0, (char *)k1, l1, ND_HOSTKEY_ED25519), ND_HOSTKEY_MATCH);
	CHECK_INT(nd_known_hosts_check("git.example.com", 22, (char *)k2, l2, ND_HOSTKEY_ED25519), ND_HOSTKEY_MISMATCH);
	CHECK_INT(nd_known_hosts_check("other.example.com", 0, (char *)k1, l1, ND_HOSTKEY_ED25519), ND_HOSTKEY_UNKNOWN);
	/* a port other than 22 is "[host]:port" */
	CHECK_INT(nd_known_hosts_check("127.0.0.1", 2222, (char *)k1, l1, ND_HOSTKEY_ED25519), ND_HOSTKEY_MATCH);
	CHECK_INT(nd_known_hosts_check("127.0.0.1", 0, (char *)k1, l1, ND_HOSTKEY_ED25519), ND_HOSTKEY_UNKNOWN);
	/* hashed names (ssh-keygen -H) */
	CHECK_INT(nd_known_hosts_check("example.org", 2222, (char *)k2, l2, ND_HOSTKEY_ED25519), ND_HOSTKEY_MATCH);
	CHECK_INT(nd_known_hosts_check("example.org", 2222, (char *)k1, l1, ND_HOSTKEY_ED25519), ND_HOSTKEY_MISMATCH);
	nd_hostkey_fingerprint(fp, sizeof(fp), (char *)k1, l1);
	CHECK_STR(fp, "SHA256:iLdHArXXf+zYJH03yk7Q4rl7KT8T2rabIF6nZcteh7Q");
	CHECK_STR(nd_hostkey_type_name(ND_HOSTKEY_ED25519), "ssh-ed25519");
	{
		char *f = nd_xprintf("%s/.ssh/known_hosts", tmpl);
		char *d = nd_xprintf("%s/.ssh", tmpl);

		unlink(f);
		rmdir(d);
		rmdir(tmpl);
		free(f);
		free(d);
	}
}

TEST(urls_without_secrets)
{
	char *u;

	u = nd_url_strip_credentials("https://x-access-token:ghp_secret@github.com/o/r.git");
	CHECK_STR(u, "https://github.com/o/r.git");
	free(u);
	u = nd_url_strip_credentials("https://ghp_secret@github.com/o/r.git");
	CHECK_STR(u, "https://github.com/o/r.git");
	free(u);
	u = nd_url_strip_credentials("ssh://deploy@host:2222/srv/r.git");
	CHECK_STR(u, "ssh://deploy@host:2222/srv/r.git");
	free(u);
	u = nd_url_strip_credentials("ssh://deploy:pw@host/srv/r.git");
	CHECK_STR(u, "ssh://deploy@host/srv/r.git");
	free(u);
	u = nd_url_strip_credentials("git@github.com:o/r.git");
	CHECK_STR(u, "git@github.com:o/r.git");
	free(u);
}

int main(void)
{
	RUN(known_hosts);
	RUN(urls_without_secrets);
	return unit_done();
}
