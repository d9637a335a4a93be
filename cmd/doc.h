/* SPDX-License-Identifier: MIT */
#ifndef ND_DOC_H
#define ND_DOC_H

/*
 * The pieces help (cmd/help.c), the man pages (cmd/docs.c) and the
 * completion scripts (cmd/completion.c) share, so that the command table
 * is read in one way only.
 *
 * Text in specs (description, argument and option help, extra sections)
 * is plain text with three rules:
 *  - paragraphs are separated by a blank line;
 *  - a paragraph whose lines all start with two spaces is preformatted
 *    (a command line, a YAML sample): shown as it is, never wrapped;
 *  - a paragraph whose lines start with "- " is a list, one item per "- ".
 */

#include "cmd/cmd.h"
#include "core/buf.h"

enum nd_doc_block_kind {
	ND_DOC_PARA, /* text: the paragraph's words */
	ND_DOC_PRE,  /* text: the lines, two-space indent removed */
	ND_DOC_ITEM, /* text: one list item */
};

/* Call fn for each block of text; text is not NUL-terminated. */
typedef void (*nd_doc_block_fn)(enum nd_doc_block_kind kind, const char *text,
				size_t len, void *ud);
void nd_doc_blocks(const char *text, nd_doc_block_fn fn, void *ud);

/* "nextdeploy build [OPTIONS]": the synopsis help and man pages share. */
void nd_doc_synopsis(struct nd_buf *b, const struct nd_command *cmd,
		     const char *path);

/* "-n, --tail N" (plain text; the man page renders its own fonts). */
void nd_doc_opt_label(struct nd_buf *b, const struct nd_opt *o);

/* Does the option take a value? */
bool nd_doc_opt_takes_value(const struct nd_opt *o);

/* Help text of an option with its choices: "... (one of: a, b)". */
void nd_doc_opt_help(struct nd_buf *b, const struct nd_opt *o);

/*
 * Every visible command in table order, two-level ones as "local run"
 * right after their parent. fn gets the row and the path.
 */
typedef void (*nd_doc_cmd_fn)(const struct nd_command *cmd, const char *path,
			      void *ud);
void nd_doc_each_command(nd_doc_cmd_fn fn, void *ud);

/* "nextdeploy-local-run": the man page name of a command path. */
char *nd_doc_man_name(const char *path);

/*
 * Wrap text at width columns: the first line starts at column first (the
 * caller already printed that much), later lines are indented by indent.
 * Newlines in text are kept as line breaks.
 */
void nd_doc_wrap(struct nd_buf *out, const char *text, size_t len, int first,
		 int indent, int width);

/* The environment variables every man page lists: name, meaning. */
struct nd_doc_env {
	const char *name;
	const char *text;
};
extern const struct nd_doc_env nd_doc_environment[];

/* The exit codes of core/exit.h with their meaning (SPEC "Exit codes"). */
struct nd_doc_exit {
	int code;
	const char *text;
};
extern const struct nd_doc_exit nd_doc_exit_codes[];

/* "file", "service", "choice", ...: a value kind's name for scripts. */
const char *nd_doc_kind_name(enum nd_arg_kind kind);

/* Look up an extra section of a spec by title ("EXIT STATUS"), or NULL. */
const char *nd_doc_section(const struct nd_cmd_spec *spec, const char *title);

#endif
