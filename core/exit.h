/* SPDX-License-Identifier: MIT */
#ifndef ND_EXIT_H
#define ND_EXIT_H

/*
 * Exit codes, from SPEC.md. Each man page's EXIT STATUS section lists these;
 * keep them in step (tests/t0010-help.sh checks the man pages).
 */
enum nd_exit {
	ND_EXIT_OK = 0,
	ND_EXIT_FAIL = 1,	 /* the operation failed */
	ND_EXIT_USAGE = 2,	 /* usage or project-file error */
	ND_EXIT_UNREACHABLE = 3, /* engine unreachable */
	/* exec: 125 when exec itself failed, else the command's own code */
	ND_EXIT_EXEC_FAILED = 125,
	ND_EXIT_INTERRUPTED = 130,
};

#endif
