/* SPDX-License-Identifier: MIT */
#ifndef ND_KNOWN_HOSTS_H
#define ND_KNOWN_HOSTS_H

#include "core/common.h"

/*
 * ssh host keys checked against OpenSSH's known_hosts files, as ssh does
 * with StrictHostKeyChecking=yes: no prompt can be answered here (CI, a
 * pipe), so an unknown key is refused like a changed one. The files are
 * $HOME/.ssh/known_hosts and /etc/ssh/ssh_known_hosts; hashed names
 * (|1|salt|hash) and "[host]:port" entries are understood. The parsing and
 * matching is libssh2's (the library libgit2 speaks ssh with), not ours.
 */
enum nd_hostkey_status {
	ND_HOSTKEY_MATCH,
	ND_HOSTKEY_UNKNOWN,  /* no entry for the host */
	ND_HOSTKEY_MISMATCH, /* an entry with another key: maybe an attack */
	ND_HOSTKEY_ERROR,    /* a key type we cannot check */
};

/* libgit2's git_cert_ssh_raw_type_t values */
enum nd_hostkey_type {
	ND_HOSTKEY_RSA = 1,
	ND_HOSTKEY_DSS = 2,
	ND_HOSTKEY_ECDSA_256 = 3,
	ND_HOSTKEY_ECDSA_384 = 4,
	ND_HOSTKEY_ECDSA_521 = 5,
	ND_HOSTKEY_ED25519 = 6,
};

/* port 0 or 22: the default; others are looked up as "[host]:port". */
enum nd_hostkey_status nd_known_hosts_check(const char *host, int port,
					    const char *key, size_t len,
					    int type);

/*
 * "SHA256:<base64>" of a raw key, as ssh prints it (out: at least 64
 * bytes).
 */
void nd_hostkey_fingerprint(char *out, size_t n, const char *key, size_t len);

/* "ssh-ed25519", "ssh-rsa", ... for messages and known_hosts lines */
const char *nd_hostkey_type_name(int type);

#endif
