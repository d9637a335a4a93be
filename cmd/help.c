/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/doc.h"
#include "core/buf.h"

#include <ctype.h>

/*
 * Help text, rendered from the command table and the specs (cmd/doc.h), in
 * the same order as the man pages (cmd/docs.c). Every line fits in 80
 * columns: tests/t0010-help.sh checks it for every command.
 */
#define HELP_WIDTH 79
#define LABEL_MAX 26

static void print_opts(struct nd_buf *out, const char *title,
		       const struct nd_opt *opts)
{
	struct nd_buf label = ND_BUF_INIT, help = ND_BUF_INIT;
	const struct nd_opt *o;
	int width = 0;

	if (!opts || opts->type == ND_OPT_END)
		return;
	for (o = opts; o->type != ND_OPT_END; o++) {
		if (o->flags & ND_OPTF_HIDDEN)
			continue;
		nd_buf_reset(&label);
		if (!o->short_name)
			nd_buf_adds(&label, "    ");
		nd_doc_opt_label(&label, o);
		if ((int)label.len > width)
			width = (int)label.len;
	}
	if (width > LABEL_MAX)
		width = LABEL_MAX;
	nd_buf_addf(out, "\n%s:\n", title);
	for (o = opts; o->type != ND_OPT_END; o++) {
		if (o->flags & ND_OPTF_HIDDEN)
			continue;
		nd_buf_reset(&label);
		nd_buf_reset(&help);
		if (!o->short_name)
			nd_buf_adds(&label, "    ");
		nd_doc_opt_label(&label, o);
		nd_doc_opt_help(&help, o);
		if ((int)label.len > width)
			nd_buf_addf(out, "  %s\n%*s", label.buf, width + 4, "");
		else
			nd_buf_addf(out, "  %-*s  ", width, label.buf);
		nd_doc_wrap(out, help.buf, help.len, width + 4, width + 4,
			    HELP_WIDTH);
		nd_buf_addch(out, '\n');
	}
	nd_buf_release(&label);
	nd_buf_release(&help);
}

struct text_ctx {
	struct nd_buf *out;
	int indent;
	bool first;
};

static void text_block(enum nd_doc_block_kind kind, const char *text,
		       size_t len, void *ud)
{
	struct text_ctx *t = ud;
	const char *p, *end = text + len;

	if (!t->first && kind != ND_DOC_ITEM)
		nd_buf_addch(t->out, '\n');
	t->first = false;
	switch (kind) {
	case ND_DOC_PARA:
		nd_doc_wrap(t->out, text, len, 0, t->indent, HELP_WIDTH);
		nd_buf_addch(t->out, '\n');
		break;
	case ND_DOC_ITEM:
		nd_buf_addf(t->out, "%*s- ", t->indent, "");
		nd_doc_wrap(t->out, text, len, t->indent + 2, t->indent + 2,
			    HELP_WIDTH);
		nd_buf_addch(t->out, '\n');
		break;
	case ND_DOC_PRE:
		for (p = text; p < end;) {
			const char *eol = memchr(p, '\n', (size_t)(end - p));

			if (!eol)
				eol = end;
			nd_buf_addf(t->out, "%*s  %.*s\n", t->indent, "",
				    (int)(eol - p), p);
			p = eol < end ? eol + 1 : end;
		}
		break;
	}
}

static void print_text(struct nd_buf *out, const char *text, int indent)
{
	struct text_ctx t = { out, indent, true };

	nd_doc_blocks(text, text_block, &t);
}

static void print_command_list(struct nd_buf *out,
			       const struct nd_command *table, size_t n)
{
	size_t i;
	int width = 0;

	for (i = 0; i < n; i++)
		if (!(table[i].flags & ND_HIDDEN) &&
		    (int)strlen(table[i].name) > width)
			width = (int)strlen(table[i].name);
	for (i = 0; i < n; i++) {
		if (table[i].flags & ND_HIDDEN)
			continue;
		nd_buf_addf(out, "  %-*s  ", width, table[i].name);
		nd_doc_wrap(out, table[i].summary, strlen(table[i].summary),
			    width + 4, width + 4, HELP_WIDTH);
		nd_buf_addch(out, '\n');
	}
}

/* "EXIT STATUS" -> "Exit status" */
static void section_title(struct nd_buf *out, const char *title)
{
	const char *p;

	for (p = title; *p; p++)
		nd_buf_addch(out, p == title ? *p : tolower((unsigned char)*p));
}

static void help_render(struct nd_buf *out, const struct nd_command *cmd,
			const char *path)
{
	const struct nd_cmd_spec *spec;
	const struct nd_example *ex;
	const char *const *s;

	if (!cmd) {
		nd_buf_adds(
			out,
			"usage: nextdeploy [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
			"Build an app into an image and deploy it, health-gated and with zero\n"
			"downtime, on a Docker or Podman engine.\n\n"
			"Commands:\n");
		print_command_list(out, nd_commands, nd_commands_nr);
		print_opts(out, "Global options", nd_global_opts);
		nd_buf_adds(out,
			    "\nSee 'nextdeploy help COMMAND' for more on a "
			    "command, and 'man nextdeploy'.\n");
		return;
	}
	spec = cmd->spec;
	nd_buf_adds(out, "usage: ");
	nd_doc_synopsis(out, cmd, path);
	nd_buf_adds(out, "\n\n");
	if (spec->description) {
		print_text(out, spec->description, 0);
	} else {
		nd_buf_addch(out, toupper((unsigned char)cmd->summary[0]));
		nd_buf_adds(out, cmd->summary + 1);
		nd_buf_adds(out, ".\n");
	}
	if (spec->subcommands) {
		nd_buf_adds(out, "\nCommands:\n");
		print_command_list(out, spec->subcommands, spec->nsubcommands);
	}
	if (spec->args && spec->args->name) {
		const struct nd_arg *a;
		int width = 0;

		for (a = spec->args; a->name; a++)
			if ((int)strlen(a->name) > width)
				width = (int)strlen(a->name);
		nd_buf_adds(out, "\nArguments:\n");
		for (a = spec->args; a->name; a++) {
			nd_buf_addf(out, "  %-*s  ", width, a->name);
			if (a->help)
				nd_doc_wrap(out, a->help, strlen(a->help),
					    width + 4, width + 4, HELP_WIDTH);
			nd_buf_addch(out, '\n');
		}
	}
	print_opts(out, "Options", spec->opts);
	print_opts(out, "Global options", nd_global_opts);
	if (spec->examples && spec->examples->cmdline) {
		nd_buf_adds(out, "\nExamples:\n");
		for (ex = spec->examples; ex->cmdline; ex++) {
			nd_buf_addf(out, "  %s\n", ex->cmdline);
			if (ex->text) {
				nd_doc_wrap(out, ex->text, strlen(ex->text), 0,
					    6, HELP_WIDTH);
				nd_buf_addch(out, '\n');
			}
		}
	}
	for (s = spec->sections; s && s[0]; s += 2) {
		nd_buf_addch(out, '\n');
		section_title(out, s[0]);
		nd_buf_adds(out, ":\n");
		print_text(out, s[1], 2);
	}
	{
		char *man = nd_doc_man_name(path);

		nd_buf_addf(out, "\nSee 'man %s' for the manual page.\n", man);
		free(man);
	}
}

void nd_help_print(FILE *f, const struct nd_command *cmd, const char *path)
{
	struct nd_buf b = ND_BUF_INIT;

	help_render(&b, cmd, path);
	fputs(b.buf, f);
	nd_buf_release(&b);
}

void nd_help_usage_error(const struct nd_command *cmd, const char *path)
{
	struct nd_buf b = ND_BUF_INIT;

	nd_doc_synopsis(&b, cmd, path);
	fprintf(stderr, "usage: %s\n", b.buf);
	nd_msg_hint("see 'nextdeploy help %s'", path);
	nd_buf_release(&b);
}

/* clang-format off */
static const struct nd_arg help_args[] = {
	{ "COMMAND", ND_ARG_NDCOMMAND, NULL, true, true,
	  "the command to describe (two words for 'local run')" },
	ND_ARG_END,
};
/* clang-format on */

/* clang-format off */
static const struct nd_example help_examples[] = {
	{ "nextdeploy help build", "show the options of 'build'" },
	{ "nextdeploy help local run", "describe a two-level command" },
	{ NULL, NULL },
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_help_spec = {
	.usage = "[COMMAND]",
	.description = "Show the overview of commands, or the help of one "
		       "command: its usage, options and examples. "
		       "'nextdeploy COMMAND --help' shows the same text. The "
		       "manual pages (man nextdeploy-COMMAND) carry the same "
		       "content in full.",
	.args = help_args,
	.min_args = 0,
	.max_args = 2,
	.examples = help_examples,
};
/* clang-format on */

static int no_such_command(const char *name, const struct nd_command *table,
			   size_t n, const char *parent)
{
	const char **names = nd_calloc(n, sizeof(*names));
	const char *best;
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!(table[i].flags & ND_HIDDEN))
			names[k++] = table[i].name;
	nd_msg_error("no such command '%s%s%s'", parent ? parent : "",
		     parent ? " " : "", name);
	best = nd_suggest(name, names, k);
	if (best)
		nd_msg_hint("did you mean '%s%s%s'?", parent ? parent : "",
			    parent ? " " : "", best);
	else
		nd_msg_hint("see 'nextdeploy help'");
	free(names);
	return ND_EXIT_USAGE;
}

int cmd_help(int argc, const char **argv, struct nd_ctx *ctx)
{
	const struct nd_command *cmd, *sub;
	char *path;

	ND_UNUSED(ctx);
	if (argc == 0) {
		nd_help_print(stdout, NULL, NULL);
		return 0;
	}
	cmd = nd_command_find(nd_commands, nd_commands_nr, argv[0]);
	if (!cmd || (cmd->flags & ND_HIDDEN))
		return no_such_command(argv[0], nd_commands, nd_commands_nr,
				       NULL);
	if (argc == 1) {
		nd_help_print(stdout, cmd, cmd->name);
		return 0;
	}
	if (!cmd->spec->subcommands) {
		nd_msg_error("'%s' has no subcommands", cmd->name);
		nd_msg_hint("see 'nextdeploy help %s'", cmd->name);
		return ND_EXIT_USAGE;
	}
	sub = nd_command_find(cmd->spec->subcommands, cmd->spec->nsubcommands,
			      argv[1]);
	if (!sub || (sub->flags & ND_HIDDEN))
		return no_such_command(argv[1], cmd->spec->subcommands,
				       cmd->spec->nsubcommands, cmd->name);
	path = nd_xprintf("%s %s", cmd->name, sub->name);
	nd_help_print(stdout, sub, path);
	free(path);
	return 0;
}

int nd_cmd_not_implemented(const struct nd_ctx *ctx)
{
	nd_msg_error("'%s' is not implemented yet", ctx->cmd_path);
	return ND_EXIT_FAIL;
}
