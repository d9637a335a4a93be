/* SPDX-License-Identifier: MIT */
#ifndef ND_OPT_H
#define ND_OPT_H

#include "core/common.h"
#include "core/error.h"

/*
 * Declarative command-line options (libgit2 src/cli/opt.h, git OPT_*).
 *
 * Each command describes its options once, in a table of struct nd_opt with
 * the help text in the row. That one table drives parsing, -h, `help CMD`,
 * the man pages and the completion scripts. Targets are file-scope statics
 * of the command's file: one command runs per process.
 *
 * Accepted syntax: --opt=value, --opt value, -o value, -ovalue, short
 * clusters (-it), --no-<bool> for booleans, and "--" to end options. No
 * abbreviated long options.
 */
enum nd_opt_type {
	ND_OPT_END = 0,
	ND_OPT_BOOL,   /* bool *target; --no-NAME accepted */
	ND_OPT_COUNT,  /* int *target; incremented each time */
	ND_OPT_STRING, /* const char **target; last one wins */
	ND_OPT_INT,    /* long *target; a decimal integer */
	ND_OPT_LIST,   /* struct nd_strlist *target; repeatable */
};

/* What an option value or a positional argument is: help and completion. */
enum nd_arg_kind {
	ND_ARG_NONE = 0,
	ND_ARG_TEXT,
	ND_ARG_FILE,
	ND_ARG_DIR,
	ND_ARG_NUMBER,
	ND_ARG_DURATION, /* 10s, 5m, 1h30m */
	ND_ARG_TIME,	 /* RFC 3339 or a duration ago */
	ND_ARG_HOST,	 /* unix://, tcp://, ssh:// */
	ND_ARG_SERVICE,	 /* a service of the project */
	ND_ARG_RELEASE,	 /* a release tag of the project */
	ND_ARG_CHOICE,	 /* one of opt->choices */
	ND_ARG_KEYVALUE, /* KEY=VALUE */
	ND_ARG_USER,
	ND_ARG_COMMAND,	  /* a command line to run (exec) */
	ND_ARG_NDCOMMAND, /* one of nextdeploy's own commands (help) */
};

enum nd_opt_flags {
	ND_OPTF_HIDDEN = 1 << 0, /* parsed, but not in help/man/completion */
};

struct nd_opt {
	enum nd_opt_type type;
	const char *long_name; /* without "--"; NULL if short only */
	int short_name;	       /* 0 if none */
	void *target;
	const char *value_name; /* "N", "PATH"; NULL for BOOL/COUNT */
	const char *help;	/* one line, lowercase, no full stop */
	enum nd_arg_kind kind;
	const char *const *choices; /* NULL-terminated, for ND_ARG_CHOICE */
	unsigned flags;
};

#define ND_OPT_BOOL_ROW(s, l, t, h)                                         \
	{                                                                   \
		ND_OPT_BOOL, (l), (s), (t), NULL, (h), ND_ARG_NONE, NULL, 0 \
	}
#define ND_OPT_COUNT_ROW(s, l, t, h)                                         \
	{                                                                    \
		ND_OPT_COUNT, (l), (s), (t), NULL, (h), ND_ARG_NONE, NULL, 0 \
	}
#define ND_OPT_STRING_ROW(s, l, t, v, k, h)                          \
	{                                                            \
		ND_OPT_STRING, (l), (s), (t), (v), (h), (k), NULL, 0 \
	}
#define ND_OPT_INT_ROW(s, l, t, v, h)                                       \
	{                                                                   \
		ND_OPT_INT, (l), (s), (t), (v), (h), ND_ARG_NUMBER, NULL, 0 \
	}
#define ND_OPT_LIST_ROW(s, l, t, v, k, h)                          \
	{                                                          \
		ND_OPT_LIST, (l), (s), (t), (v), (h), (k), NULL, 0 \
	}
#define ND_OPT_CHOICE_ROW(s, l, t, v, c, h)                                   \
	{                                                                     \
		ND_OPT_STRING, (l), (s), (t), (v), (h), ND_ARG_CHOICE, (c), 0 \
	}
#define ND_OPT_END_ROW                                            \
	{                                                         \
		ND_OPT_END, NULL, 0, NULL, NULL, NULL, 0, NULL, 0 \
	}

/* A repeatable option's values; items point into argv (not owned). */
struct nd_strlist {
	const char **items;
	size_t nr;
	size_t alloc;
};
#define ND_STRLIST_INIT    \
	{                  \
		NULL, 0, 0 \
	}
void nd_strlist_add(struct nd_strlist *l, const char *s);
void nd_strlist_release(struct nd_strlist *l);

/* A positional argument, for usage lines, man pages and completion. */
struct nd_arg {
	const char *name; /* "SERVICE" */
	enum nd_arg_kind kind;
	const char *const *choices;
	bool optional;
	bool repeat; /* takes the rest of the arguments */
	const char *help;
};
#define ND_ARG_END                                \
	{                                         \
		NULL, 0, NULL, false, false, NULL \
	}

enum nd_parse_flags {
	/* stop option parsing at the first positional (exec CMD...) */
	ND_PARSE_STOP_AT_POSITIONAL = 1 << 0,
	/* keep the "--" that ends the options as a positional argument, so
	 * the command can tell `exec -- CMD` from `exec SERVICE CMD` */
	ND_PARSE_KEEP_DASHDASH = 1 << 1,
};

/*
 * Parse argv (not including the command name) against the NULL-terminated
 * list of option tables (the command's, then the global one). Positional
 * arguments are collected, in order, into *pos_out (argv pointers; the
 * array is malloc'd, free it). Unknown options, missing values and bad
 * numbers or choices are ND_EUSAGE errors.
 */
int nd_opt_parse(const char ***pos_out, int *npos_out,
		 const struct nd_opt *const *tables, int argc,
		 const char **argv, unsigned flags, struct nd_error *err);

/* Find a long option in a table (NULL when absent). */
const struct nd_opt *nd_opt_find_long(const struct nd_opt *table,
				      const char *name);

/* Levenshtein distance, for "did you mean". */
size_t nd_edit_distance(const char *a, const char *b);
/*
 * The closest candidate to word, or NULL when none is close enough
 * (git help.c: similar enough to be a typo).
 */
const char *nd_suggest(const char *word, const char *const *candidates,
		       size_t n);

#endif
