/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/known_hosts.h"

#include <libssh2.h>
#include <openssl/evp.h>

static int type_mask(int type)
{
	switch (type) {
	case ND_HOSTKEY_RSA:
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case ND_HOSTKEY_DSS:
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
#ifdef LIBSSH2_KNOWNHOST_KEY_ECDSA_256
	case ND_HOSTKEY_ECDSA_256:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case ND_HOSTKEY_ECDSA_384:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case ND_HOSTKEY_ECDSA_521:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
#endif
#ifdef LIBSSH2_KNOWNHOST_KEY_ED25519
	case ND_HOSTKEY_ED25519:
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
#endif
	default:
		return -1;
	}
}

const char *nd_hostkey_type_name(int type)
{
	switch (type) {
	case ND_HOSTKEY_RSA:
		return "ssh-rsa";
	case ND_HOSTKEY_DSS:
		return "ssh-dss";
	case ND_HOSTKEY_ECDSA_256:
		return "ecdsa-sha2-nistp256";
	case ND_HOSTKEY_ECDSA_384:
		return "ecdsa-sha2-nistp384";
	case ND_HOSTKEY_ECDSA_521:
		return "ecdsa-sha2-nistp521";
	case ND_HOSTKEY_ED25519:
		return "ssh-ed25519";
	default:
		return "unknown";
	}
}

enum nd_hostkey_status nd_known_hosts_check(const char *host, int port,
					    const char *key, size_t len,
					    int type)
{
	const char *home = getenv("HOME");
	const char *files[2] = { NULL, "/etc/ssh/ssh_known_hosts" };
	char *user_file = NULL;
	enum nd_hostkey_status st = ND_HOSTKEY_UNKNOWN;
	LIBSSH2_SESSION *session = NULL;
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	struct libssh2_knownhost *found = NULL;
	int mask = type_mask(type), rc;

	if (mask < 0)
		return ND_HOSTKEY_ERROR;
	if (home && *home) {
		user_file = nd_xprintf("%s/.ssh/known_hosts", home);
		files[0] = user_file;
	}
	/* a session object only hosts the knownhost list: it never connects */
	if (libssh2_init(0) || !(session = libssh2_session_init()) ||
	    !(kh = libssh2_knownhost_init(session))) {
		st = ND_HOSTKEY_ERROR;
		goto done;
	}
	for (size_t i = 0; i < ND_ARRAY_SIZE(files); i++)
		if (files[i])
			libssh2_knownhost_readfile(
				kh, files[i], LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	rc = libssh2_knownhost_checkp(kh, host, port > 0 ? port : 22, key, len,
				      LIBSSH2_KNOWNHOST_TYPE_PLAIN |
					      LIBSSH2_KNOWNHOST_KEYENC_RAW |
					      mask,
				      &found);
	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		st = ND_HOSTKEY_MATCH;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		st = ND_HOSTKEY_MISMATCH;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		st = ND_HOSTKEY_UNKNOWN;
		break;
	default:
		st = ND_HOSTKEY_ERROR;
		break;
	}
done:
	if (kh)
		libssh2_knownhost_free(kh);
	if (session)
		libssh2_session_free(session);
	free(user_file);
	return st;
}

void nd_hostkey_fingerprint(char *out, size_t n, const char *key, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char b64[EVP_MAX_MD_SIZE * 2];
	unsigned int mdlen = 0;
	int blen;

	EVP_Digest(key, len, md, &mdlen, EVP_sha256(), NULL);
	blen = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (blen > 0 && b64[blen - 1] == '=')
		blen--; /* ssh prints it without padding */
	snprintf(out, n, "SHA256:%.*s", blen, (const char *)b64);
}
