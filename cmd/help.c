/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/buf.h"

static void opt_label(struct nd_buf *b, const struct nd_opt *o)
{
	nd_buf_reset(b);
	if (o->short_name && o->long_name)
		nd_buf_addf(b, "-%c, --%s", o->short_name, o->long_name);
	else if (o->short_name)
		nd_buf_addf(b, "-%c", o->short_name);
	else
		nd_buf_addf(b, "    --%s", o->long_name);
	if (o->value_name)
		nd_buf_addf(b, " %s", o->value_name);
}

static void print_opts(FILE *f, const char *title, const struct nd_opt *opts)
{
	struct nd_buf b = ND_BUF_INIT;
	const struct nd_opt *o;
	int width = 0;

	if (!opts || opts->type == ND_OPT_END)
		return;
	for (o = opts; o->type != ND_OPT_END; o++) {
		if (o->flags & ND_OPTF_HIDDEN)
			continue;
		opt_label(&b, o);
		if ((int)b.len > width)
			width = (int)b.len;
	}
	if (width > 28)
		width = 28;
	fprintf(f, "\n%s:\n", title);
	for (o = opts; o->type != ND_OPT_END; o++) {
		if (o->flags & ND_OPTF_HIDDEN)
			continue;
		opt_label(&b, o);
		if ((int)b.len > width)
			fprintf(f, "  %s\n  %*s  %s", b.buf, width, "", o->help);
		else
			fprintf(f, "  %-*s  %s", width, b.buf, o->help);
		if (o->kind == ND_ARG_CHOICE && o->choices) {
			const char *const *c;

			fputs(" (", f);
			for (c = o->choices; *c; c++)
				fprintf(f, "%s%s", c == o->choices ? "" : ", ",
					*c);
			fputc(')', f);
		}
		fputc('\n', f);
	}
	nd_buf_release(&b);
}

/* Wrap a paragraph at 78 columns with an indent. */
static void print_wrapped(FILE *f, const char *text, int indent)
{
	const char *p = text;
	int col = 0;

	while (*p) {
		const char *w = p;
		size_t n;

		while (*w == ' ')
			w++;
		if (*w == '\n') {
			fputc('\n', f);
			col = 0;
			p = w + 1;
			continue;
		}
		n = strcspn(w, " \n");
		if (!n)
			break;
		if (col && col + 1 + (int)n > 78) {
			fputc('\n', f);
			col = 0;
		}
		if (!col) {
			fprintf(f, "%*s", indent, "");
			col = indent;
		} else {
			fputc(' ', f);
			col++;
		}
		fwrite(w, 1, n, f);
		col += (int)n;
		p = w + n;
	}
	if (col)
		fputc('\n', f);
}

static void print_usage_line(FILE *f, const struct nd_command *cmd,
			     const char *path)
{
	fprintf(f, "usage: nextdeploy %s%s%s\n", path,
		cmd->spec->usage && *cmd->spec->usage ? " " : "",
		cmd->spec->usage ? cmd->spec->usage : "");
}

static void print_command_list(FILE *f, const struct nd_command *table,
			       size_t n)
{
	size_t i;
	int width = 0;

	for (i = 0; i < n; i++)
		if ((int)strlen(table[i].name) > width)
			width = (int)strlen(table[i].name);
	for (i = 0; i < n; i++)
		if (!(table[i].flags & ND_HIDDEN))
			fprintf(f, "  %-*s  %s\n", width, table[i].name,
				table[i].summary);
}

void nd_help_print(FILE *f, const struct nd_command *cmd, const char *path)
{
	const struct nd_example *ex;

	if (!cmd) {
		fputs("usage: nextdeploy [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
		      "Build an app into an image and deploy it, health-gated and with zero\n"
		      "downtime, on a Docker or Podman engine.\n\n"
		      "Commands:\n", f);
		print_command_list(f, nd_commands, nd_commands_nr);
		print_opts(f, "Global options", nd_global_opts);
		fputs("\nSee 'nextdeploy help COMMAND' for more on a command.\n",
		      f);
		return;
	}
	print_usage_line(f, cmd, path);
	fputc('\n', f);
	if (cmd->spec->description)
		print_wrapped(f, cmd->spec->description, 0);
	else
		fprintf(f, "%c%s.\n", cmd->summary[0] - 32, cmd->summary + 1);
	if (cmd->spec->subcommands) {
		fputs("\nCommands:\n", f);
		print_command_list(f, cmd->spec->subcommands,
				   cmd->spec->nsubcommands);
	}
	if (cmd->spec->args && cmd->spec->args->name) {
		const struct nd_arg *a;

		fputs("\nArguments:\n", f);
		for (a = cmd->spec->args; a->name; a++)
			fprintf(f, "  %-12s  %s\n", a->name, a->help ? a->help : "");
	}
	print_opts(f, "Options", cmd->spec->opts);
	print_opts(f, "Global options", nd_global_opts);
	if (cmd->spec->examples && cmd->spec->examples->cmdline) {
		fputs("\nExamples:\n", f);
		for (ex = cmd->spec->examples; ex->cmdline; ex++) {
			fprintf(f, "  %s\n", ex->cmdline);
			print_wrapped(f, ex->text, 6);
		}
	}
}

void nd_help_usage_error(const struct nd_command *cmd, const char *path)
{
	print_usage_line(stderr, cmd, path);
	nd_msg_hint("see 'nextdeploy help %s'", path);
}

static const struct nd_arg help_args[] = {
	{ "COMMAND", ND_ARG_NDCOMMAND, NULL, true, true,
	  "the command to describe (two words for 'local run')" },
	ND_ARG_END,
};

static const struct nd_example help_examples[] = {
	{ "nextdeploy help build", "show the options of 'build'" },
	{ "nextdeploy help local run", "describe a two-level command" },
	{ NULL, NULL },
};

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

int cmd_help(int argc, const char **argv, struct nd_ctx *ctx)
{
	const struct nd_command *cmd;
	char *path;

	ND_UNUSED(ctx);
	if (argc == 0) {
		nd_help_print(stdout, NULL, NULL);
		return 0;
	}
	cmd = nd_command_find(nd_commands, nd_commands_nr, argv[0]);
	if (!cmd) {
		nd_msg_error("no such command '%s'", argv[0]);
		nd_msg_hint("see 'nextdeploy help'");
		return ND_EXIT_USAGE;
	}
	if (argc == 2) {
		const struct nd_command *sub = NULL;

		if (cmd->spec->subcommands)
			sub = nd_command_find(cmd->spec->subcommands,
					      cmd->spec->nsubcommands, argv[1]);
		if (!sub) {
			nd_msg_error("no such command '%s %s'", argv[0],
				     argv[1]);
			return ND_EXIT_USAGE;
		}
		path = nd_xprintf("%s %s", cmd->name, sub->name);
		nd_help_print(stdout, sub, path);
		free(path);
		return 0;
	}
	nd_help_print(stdout, cmd, cmd->name);
	return 0;
}

int nd_cmd_not_implemented(const struct nd_ctx *ctx)
{
	nd_msg_error("'%s' is not implemented yet", ctx->cmd_path);
	return ND_EXIT_FAIL;
}
