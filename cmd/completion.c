/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/cmd.h"
#include "cmd/doc.h"
#include "core/buf.h"
#include "core/project.h"
#include "docker/api.h"
#include "docker/deploy_api.h"
#include "docker/engine.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <unistd.h>

/*
 * `nextdeploy completion bash|zsh|fish` prints a completion script made
 * from the command table: commands, subcommands, each command's options
 * (and the global ones, before or after the command), option values
 * (choices, files, folders), and positional arguments. Service names and
 * release tags are asked at completion time from the hidden helper
 * `nextdeploy __complete services|releases`, which reads the project and
 * the engine, prints one name per line and nothing at all on any failure.
 *
 * The scripts are checked in under completions/ (`make docs`), and
 * tests/t0010-help.sh fails when they differ from this output.
 */

/* clang-format off */
static const struct nd_arg completion_args[] = {
	{ "SHELL", ND_ARG_CHOICE,
	  (const char *const[]){ "bash", "zsh", "fish", NULL }, false, false,
	  "the shell to print the script for" },
	ND_ARG_END,
};
/* clang-format on */

/* clang-format off */
static const struct nd_example completion_examples[] = {
	{ "source <(nextdeploy completion bash)",
	  "completion in the current bash session; add the line to ~/.bashrc "
	  "to keep it" },
	{ "nextdeploy completion zsh >\"${fpath[1]}/_nextdeploy\"",
	  "install for zsh (then start a new shell)" },
	{ "nextdeploy completion fish >~/.config/fish/completions/nextdeploy.fish",
	  "install for fish" },
	{ NULL, NULL },
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_completion_spec = {
	.usage = "SHELL",
	.description =
		"Print a completion script for bash, zsh or fish. It completes "
		"commands, options and their values, and, from the project and "
		"the engine, service names and release tags.\n\n"
		"'make install' installs the scripts where bash-completion, zsh "
		"and fish find them; otherwise load one as in the examples.",
	.args = completion_args,
	.min_args = 1,
	.max_args = 1,
	.examples = completion_examples,
};
/* clang-format on */

/* --- the command paths, read once from the table --- */

struct path {
	const struct nd_command *cmd;
	char *path; /* "logs", "local run" */
};

struct paths {
	struct path *items;
	size_t nr, alloc;
};

static void collect(const struct nd_command *cmd, const char *path, void *ud)
{
	struct paths *p = ud;

	if (p->nr == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 32;
		p->items = nd_realloc(p->items, p->alloc * sizeof(*p->items));
	}
	p->items[p->nr].cmd = cmd;
	p->items[p->nr].path = nd_strdup(path);
	p->nr++;
}

static void paths_release(struct paths *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		free(p->items[i].path);
	free(p->items);
}

static bool visible(const struct nd_opt *o)
{
	return !(o->flags & ND_OPTF_HIDDEN);
}

/* A global option the command's own table shadows (logs -f is --follow). */
static bool shadowed(const struct nd_opt *g, const struct nd_opt *opts)
{
	const struct nd_opt *o;

	for (o = opts; o && o->type != ND_OPT_END; o++) {
		if (g->short_name && o->short_name == g->short_name)
			return true;
		if (g->long_name && o->long_name &&
		    !strcmp(g->long_name, o->long_name))
			return true;
	}
	return false;
}

/* Iterate the options that apply after the command: its own, then globals. */
#define FOR_EACH_OPT(o, opts, i)                      \
	for (i = 0; i < 2; i++)                       \
		for (o = i ? nd_global_opts : (opts); \
		     o && o->type != ND_OPT_END; o++) \
			if (visible(o) && (!i || !shadowed(o, (opts))))

/* --- bash --- */

/* A single-quoted shell word (no quotes appear in names or choices). */
static void sh_quote(struct nd_buf *b, const char *s)
{
	nd_buf_addch(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			nd_buf_adds(b, "'\\''");
		else
			nd_buf_addch(b, *s);
	}
	nd_buf_addch(b, '\'');
}

/* "file", "choice bash zsh fish", ... what a value completes to. */
static void kind_spec(struct nd_buf *b, enum nd_arg_kind kind,
		      const char *const *choices)
{
	const char *const *c;

	nd_buf_adds(b, nd_doc_kind_name(kind));
	for (c = choices; kind == ND_ARG_CHOICE && c && *c; c++)
		nd_buf_addf(b, " %s", *c);
}

static void bash_opt_words(struct nd_buf *b, const struct nd_opt *opts,
			   bool globals_too)
{
	const struct nd_opt *o;
	bool first = true;
	int i;

	for (i = 0; i < 2; i++) {
		const struct nd_opt *table = i ? nd_global_opts : opts;

		if (i && !globals_too)
			break;
		for (o = table; o && o->type != ND_OPT_END; o++) {
			if (!visible(o) || (i && shadowed(o, opts)))
				continue;
			if (o->short_name)
				nd_buf_addf(b, "%s-%c", first ? "" : " ",
					    o->short_name),
					first = false;
			if (o->long_name)
				nd_buf_addf(b, "%s--%s", first ? "" : " ",
					    o->long_name),
					first = false;
		}
	}
}

static void bash_opt_case(struct nd_buf *b, const struct nd_opt *o,
			  const char *prefix)
{
	struct nd_buf spec = ND_BUF_INIT;

	nd_buf_adds(b, "\t");
	if (o->short_name)
		nd_buf_addf(b, "%s-%c", prefix, o->short_name);
	if (o->short_name && o->long_name)
		nd_buf_addch(b, '|');
	if (o->long_name)
		nd_buf_addf(b, "%s--%s", prefix, o->long_name);
	nd_buf_adds(b, ") _nd_r=");
	if (nd_doc_opt_takes_value(o)) {
		kind_spec(&spec, o->kind, o->choices);
		sh_quote(b, spec.buf);
	}
	nd_buf_adds(b, "; return ;;\n");
	nd_buf_release(&spec);
}

static void gen_bash(struct nd_buf *b, const struct paths *ps)
{
	size_t i;
	const struct nd_opt *o;
	int k;

	nd_buf_adds(
		b,
		"# bash completion for nextdeploy                    -*- shell-script -*-\n"
		"# Generated by 'nextdeploy completion bash' from the command table; do\n"
		"# not edit. Load it with: source <(nextdeploy completion bash)\n"
		"# or install it as /usr/share/bash-completion/completions/nextdeploy\n"
		"# (make install does). It needs no bash-completion package.\n\n");
	nd_buf_adds(b, "_nextdeploy_commands='");
	for (i = 0, k = 0; i < nd_commands_nr; i++)
		if (!(nd_commands[i].flags & ND_HIDDEN))
			nd_buf_addf(b, "%s%s", k++ ? " " : "",
				    nd_commands[i].name);
	nd_buf_adds(b, "'\n\n");

	/* option words per path */
	nd_buf_adds(b,
		    "# _nextdeploy_opts PATH: the options to offer ('' is "
		    "before the command)\n_nextdeploy_opts() {\n\tcase $1 in\n"
		    "\t'') _nd_r='");
	bash_opt_words(b, nd_global_opts, false);
	nd_buf_adds(b, "' ;;\n");
	for (i = 0; i < ps->nr; i++) {
		nd_buf_adds(b, "\t");
		sh_quote(b, ps->items[i].path);
		nd_buf_adds(b, ") _nd_r='");
		bash_opt_words(b, ps->items[i].cmd->spec->opts, true);
		nd_buf_adds(b, "' ;;\n");
	}
	nd_buf_adds(b, "\t*) _nd_r= ;;\n\tesac\n}\n\n");

	/* value kinds of options */
	nd_buf_adds(
		b,
		"# _nextdeploy_optkind PATH OPTION: what OPTION's value is ('' when it\n"
		"# takes none); _nd_g=1 when OPTION is a global one\n"
		"_nextdeploy_optkind() {\n\t_nd_g=\n\tcase $1/$2 in\n");
	for (i = 0; i < ps->nr; i++) {
		char *prefix = nd_xprintf("'%s'/", ps->items[i].path);

		for (o = ps->items[i].cmd->spec->opts;
		     o && o->type != ND_OPT_END; o++)
			bash_opt_case(b, o, prefix);
		free(prefix);
	}
	nd_buf_adds(b, "\tesac\n\t_nd_g=1\n\tcase $2 in\n");
	for (o = nd_global_opts; o->type != ND_OPT_END; o++)
		if (nd_doc_opt_takes_value(o))
			bash_opt_case(b, o, "");
	nd_buf_adds(b, "\tesac\n\t_nd_g= _nd_r=\n}\n\n");

	/* positional arguments */
	nd_buf_adds(b, "# _nextdeploy_arg PATH N: what the N-th argument is\n"
		       "_nextdeploy_arg() {\n\t_nd_r=\n\tcase $1 in\n");
	for (i = 0; i < ps->nr; i++) {
		const struct nd_arg *a;
		int n = 0;

		if (!ps->items[i].cmd->spec->args ||
		    !ps->items[i].cmd->spec->args->name)
			continue;
		nd_buf_adds(b, "\t");
		sh_quote(b, ps->items[i].path);
		nd_buf_adds(b, ")\n\t\tcase $2 in\n");
		for (a = ps->items[i].cmd->spec->args; a->name; a++, n++) {
			struct nd_buf spec = ND_BUF_INIT;

			kind_spec(&spec, a->kind, a->choices);
			if (a->repeat)
				nd_buf_adds(b, "\t\t*) _nd_r=");
			else
				nd_buf_addf(b, "\t\t%d) _nd_r=", n);
			sh_quote(b, spec.buf);
			nd_buf_adds(b, " ;;\n");
			nd_buf_release(&spec);
			if (a->repeat)
				break;
		}
		nd_buf_adds(b, "\t\tesac ;;\n");
	}
	nd_buf_adds(b, "\tesac\n}\n\n");

	/* subcommands and commands that end options at their first argument */
	nd_buf_adds(b, "_nextdeploy_subcommands() {\n\t_nd_r=\n\tcase $1 in\n");
	for (i = 0; i < ps->nr; i++) {
		const struct nd_cmd_spec *spec = ps->items[i].cmd->spec;
		size_t j;

		if (!spec->subcommands)
			continue;
		nd_buf_adds(b, "\t");
		sh_quote(b, ps->items[i].path);
		nd_buf_adds(b, ") _nd_r='");
		for (j = 0, k = 0; j < spec->nsubcommands; j++)
			if (!(spec->subcommands[j].flags & ND_HIDDEN))
				nd_buf_addf(b, "%s%s", k++ ? " " : "",
					    spec->subcommands[j].name);
		nd_buf_adds(b, "' ;;\n");
	}
	nd_buf_adds(
		b, "\tesac\n}\n\n_nextdeploy_stops_at_arg() {\n\tcase $1 in\n");
	for (i = 0, k = 0; i < ps->nr; i++) {
		if (!(ps->items[i].cmd->flags & ND_STOP_AT_ARG))
			continue;
		nd_buf_addf(b, "%s", k++ ? "|" : "\t");
		sh_quote(b, ps->items[i].path);
	}
	if (k)
		nd_buf_adds(b, ") return 0 ;;\n");
	nd_buf_adds(b, "\tesac\n\treturn 1\n}\n\n");

	nd_buf_adds(
		b,
		"# service names and release tags, from the project and the engine\n"
		"_nextdeploy_dynamic() {\n"
		"\tlocal bin=${COMP_WORDS[0]}\n"
		"\tbin=${bin/#\\~/$HOME}\n"
		"\t\"$bin\" \"${_nd_gflags[@]}\" __complete \"$1\" 2>/dev/null </dev/null\n"
		"}\n\n"
		"# _nextdeploy_values KIND [CHOICE...]: fill COMPREPLY for $cur\n"
		"_nextdeploy_values() {\n"
		"\tlocal kind=${1-}\n"
		"\t(($#)) && shift\n"
		"\tCOMPREPLY=()\n"
		"\tcase $kind in\n"
		"\tfile)\n"
		"\t\tcompopt -o filenames 2>/dev/null\n"
		"\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\") ;;\n"
		"\tdir)\n"
		"\t\tcompopt -o filenames 2>/dev/null\n"
		"\t\tmapfile -t COMPREPLY < <(compgen -d -- \"$cur\") ;;\n"
		"\tchoice) mapfile -t COMPREPLY < <(compgen -W \"$*\" -- \"$cur\") ;;\n"
		"\tservice | release)\n"
		"\t\tmapfile -t COMPREPLY < <(compgen -W \"$(_nextdeploy_dynamic \"${kind}s\")\" -- \"$cur\") ;;\n"
		"\tcommand) mapfile -t COMPREPLY < <(compgen -c -- \"$cur\") ;;\n"
		"\tndcommand) mapfile -t COMPREPLY < <(compgen -W \"$_nextdeploy_commands\" -- \"$cur\") ;;\n"
		"\tesac\n"
		"}\n\n"
		"_nextdeploy() {\n"
		"\tlocal cur=${COMP_WORDS[COMP_CWORD]} path= w i stop= valopt= prefix=\n"
		"\tlocal _nd_r _nd_g\n"
		"\tlocal -a pos=() _nd_gflags=()\n"
		"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
		"\t\tw=${COMP_WORDS[i]}\n"
		"\t\tif [[ -n $stop ]]; then\n"
		"\t\t\tpos+=(\"$w\")\n"
		"\t\t\tcontinue\n"
		"\t\tfi\n"
		"\t\tcase $w in\n"
		"\t\t--)\n"
		"\t\t\t[[ -n $path ]] && stop=1\n"
		"\t\t\tcontinue ;;\n"
		"\t\t--*=*) continue ;;\n"
		"\t\t-?*)\n"
		"\t\t\t_nextdeploy_optkind \"$path\" \"$w\"\n"
		"\t\t\t[[ -z $_nd_r ]] && continue\n"
		"\t\t\t# the value is the next word, or \"=\" and the word after\n"
		"\t\t\t[[ ${COMP_WORDS[i + 1]-} == = ]] && ((i++))\n"
		"\t\t\tif ((i + 1 >= COMP_CWORD)); then\n"
		"\t\t\t\tvalopt=$w\n"
		"\t\t\t\tbreak\n"
		"\t\t\tfi\n"
		"\t\t\t((i++))\n"
		"\t\t\t[[ -n $_nd_g ]] && _nd_gflags+=(\"$w\" \"${COMP_WORDS[i]/#\\~/$HOME}\")\n"
		"\t\t\tcontinue ;;\n"
		"\t\tesac\n"
		"\t\tif [[ -z $path ]]; then\n"
		"\t\t\tpath=$w\n"
		"\t\t\tcontinue\n"
		"\t\tfi\n"
		"\t\t_nextdeploy_subcommands \"$path\"\n"
		"\t\tif [[ -n $_nd_r ]]; then\n"
		"\t\t\tpath=\"$path $w\"\n"
		"\t\t\tcontinue\n"
		"\t\tfi\n"
		"\t\tpos+=(\"$w\")\n"
		"\t\t_nextdeploy_stops_at_arg \"$path\" && stop=1\n"
		"\tdone\n"
		"\tif [[ -n $valopt ]]; then\n"
		"\t\t[[ $cur == = ]] && cur=\n"
		"\t\t_nextdeploy_optkind \"$path\" \"$valopt\"\n"
		"\t\t_nextdeploy_values $_nd_r\n"
		"\t\treturn 0\n"
		"\tfi\n"
		"\tif [[ -z $stop && $cur == --*=* ]]; then\n"
		"\t\t# COMP_WORDBREAKS without '=': complete the value in the word\n"
		"\t\tprefix=${cur%%=*}=\n"
		"\t\t_nextdeploy_optkind \"$path\" \"${cur%%=*}\"\n"
		"\t\tcur=${cur#*=}\n"
		"\t\t_nextdeploy_values $_nd_r\n"
		"\t\t((${#COMPREPLY[@]})) && COMPREPLY=(\"${COMPREPLY[@]/#/$prefix}\")\n"
		"\t\treturn 0\n"
		"\tfi\n"
		"\tif [[ -z $stop && $cur == -* ]]; then\n"
		"\t\t_nextdeploy_opts \"$path\"\n"
		"\t\tmapfile -t COMPREPLY < <(compgen -W \"$_nd_r\" -- \"$cur\")\n"
		"\t\treturn 0\n"
		"\tfi\n"
		"\tif [[ -z $path ]]; then\n"
		"\t\t_nextdeploy_values ndcommand\n"
		"\t\treturn 0\n"
		"\tfi\n"
		"\t_nextdeploy_subcommands \"$path\"\n"
		"\tif [[ -n $_nd_r ]]; then\n"
		"\t\t_nextdeploy_values choice $_nd_r\n"
		"\t\treturn 0\n"
		"\tfi\n"
		"\t_nextdeploy_arg \"$path\" \"${#pos[@]}\"\n"
		"\tif [[ $_nd_r == ndcommand && ${#pos[@]} -eq 1 ]]; then\n"
		"\t\t# help local <TAB>: the subcommands of the command named\n"
		"\t\t_nextdeploy_subcommands \"${pos[0]}\"\n"
		"\t\t_nextdeploy_values choice $_nd_r\n"
		"\t\treturn 0\n"
		"\tfi\n"
		"\t_nextdeploy_values $_nd_r\n"
		"\treturn 0\n"
		"}\n\n"
		"complete -F _nextdeploy nextdeploy\n");
}

/* --- zsh --- */

/* Text inside '...' and [...] of an _arguments spec. */
static void zsh_desc(struct nd_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\'')
			nd_buf_adds(b, "'\\''");
		else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
			nd_buf_addf(b, "\\%c", *s);
		else
			nd_buf_addch(b, *s);
	}
}

static void zsh_action(struct nd_buf *b, enum nd_arg_kind kind,
		       const char *const *choices)
{
	const char *const *c;

	switch (kind) {
	case ND_ARG_FILE:
		nd_buf_adds(b, "_files");
		break;
	case ND_ARG_DIR:
		nd_buf_adds(b, "_files -/");
		break;
	case ND_ARG_CHOICE:
		nd_buf_adds(b, "(");
		for (c = choices; c && *c; c++)
			nd_buf_addf(b, "%s%s", c == choices ? "" : " ", *c);
		nd_buf_adds(b, ")");
		break;
	case ND_ARG_SERVICE:
		nd_buf_adds(b, "_nextdeploy_services");
		break;
	case ND_ARG_RELEASE:
		nd_buf_adds(b, "_nextdeploy_releases");
		break;
	case ND_ARG_COMMAND:
		nd_buf_adds(b, "_command_names -e");
		break;
	case ND_ARG_NDCOMMAND:
		nd_buf_adds(b, "_nextdeploy_ndcommand");
		break;
	default:
		nd_buf_adds(b, " ");
		break;
	}
}

static void zsh_opt(struct nd_buf *b, const struct nd_opt *o)
{
	bool repeat = o->type == ND_OPT_LIST || o->type == ND_OPT_COUNT;
	bool value = nd_doc_opt_takes_value(o);
	bool both = o->short_name && o->long_name;

	nd_buf_adds(b, "\t\t");
	if (repeat)
		nd_buf_adds(b, "'*'");
	else if (both)
		nd_buf_addf(b, "'(-%c --%s)'", o->short_name, o->long_name);
	if (both)
		nd_buf_addf(b, "{-%c%s,--%s%s}", o->short_name,
			    value ? "+" : "", o->long_name, value ? "=" : "");
	nd_buf_adds(b, "'");
	if (!both && o->short_name)
		nd_buf_addf(b, "-%c%s", o->short_name, value ? "+" : "");
	else if (!both)
		nd_buf_addf(b, "--%s%s", o->long_name, value ? "=" : "");
	nd_buf_adds(b, "[");
	{
		struct nd_buf h = ND_BUF_INIT;

		nd_buf_adds(&h, o->help ? o->help : "");
		zsh_desc(b, h.buf);
		nd_buf_release(&h);
	}
	nd_buf_adds(b, "]");
	if (value) {
		nd_buf_adds(b, ":");
		zsh_desc(b, o->value_name ? o->value_name : "value");
		nd_buf_adds(b, ":");
		zsh_action(b, o->kind, o->choices);
	}
	nd_buf_adds(b, "' \\\n");
}

static void zsh_arguments(struct nd_buf *b, const struct nd_command *cmd,
			  const char *indent)
{
	const struct nd_cmd_spec *spec = cmd->spec;
	const struct nd_opt *o;
	const struct nd_arg *a;
	int i, n = 1;

	nd_buf_addf(b, "%s_arguments -s -S%s \\\n", indent,
		    (cmd->flags & ND_STOP_AT_ARG) ? " -A '-*'" : "");
	FOR_EACH_OPT(o, spec->opts, i) zsh_opt(b, o);
	for (a = spec->args; a && a->name; a++, n++) {
		nd_buf_adds(b, "\t\t'");
		if (a->repeat)
			nd_buf_adds(b, "*:");
		else
			nd_buf_addf(b, "%d:%s", n, a->optional ? ":" : "");
		zsh_desc(b, a->name);
		nd_buf_adds(b, ":");
		zsh_action(b, a->kind, a->choices);
		nd_buf_adds(b, "' \\\n");
		if (a->repeat)
			break;
	}
	nd_buf_adds(b, "\t\t&& ret=0\n");
}

static void zsh_describe_list(struct nd_buf *b, const char *var,
			      const struct nd_command *table, size_t n)
{
	size_t i;

	nd_buf_addf(b, "\tlocal -a %s\n\t%s=(\n", var, var);
	for (i = 0; i < n; i++) {
		if (table[i].flags & ND_HIDDEN)
			continue;
		nd_buf_adds(b, "\t\t'");
		zsh_desc(b, table[i].name);
		nd_buf_adds(b, ":");
		zsh_desc(b, table[i].summary);
		nd_buf_adds(b, "'\n");
	}
	nd_buf_adds(b, "\t)\n");
}

static void gen_zsh(struct nd_buf *b, const struct paths *ps)
{
	const struct nd_opt *o;
	size_t i, j;

	nd_buf_adds(
		b,
		"#compdef nextdeploy\n"
		"# zsh completion for nextdeploy. Generated by 'nextdeploy completion zsh'\n"
		"# from the command table; do not edit. Install it as _nextdeploy in a\n"
		"# folder of $fpath (make install uses /usr/share/zsh/vendor-completions),\n"
		"# or load it with: source <(nextdeploy completion zsh)\n\n"
		"_nextdeploy_commands() {\n");
	zsh_describe_list(b, "cmds", nd_commands, nd_commands_nr);
	nd_buf_adds(
		b,
		"\t_describe -t commands 'nextdeploy command' cmds\n}\n\n"
		"# help local <TAB>: the subcommands of the command named before\n"
		"_nextdeploy_ndcommand() {\n"
		"\tif ((CURRENT > 2)); then\n"
		"\t\tlocal -a subs\n"
		"\t\tcase ${words[CURRENT-1]} in\n");
	for (i = 0; i < ps->nr; i++) {
		const struct nd_cmd_spec *spec = ps->items[i].cmd->spec;

		if (!spec->subcommands)
			continue;
		nd_buf_addf(b, "\t\t(%s)\n\t\t\tsubs=(\n", ps->items[i].path);
		for (j = 0; j < spec->nsubcommands; j++) {
			if (spec->subcommands[j].flags & ND_HIDDEN)
				continue;
			nd_buf_adds(b, "\t\t\t\t'");
			zsh_desc(b, spec->subcommands[j].name);
			nd_buf_adds(b, ":");
			zsh_desc(b, spec->subcommands[j].summary);
			nd_buf_adds(b, "'\n");
		}
		nd_buf_adds(b, "\t\t\t) ;;\n");
	}
	nd_buf_adds(
		b,
		"\t\tesac\n"
		"\t\t(($#subs)) && _describe -t commands 'subcommand' subs\n"
		"\t\treturn\n"
		"\tfi\n"
		"\t_nextdeploy_commands\n"
		"}\n\n"
		"# service names and release tags, from the project and the engine\n"
		"_nextdeploy_dynamic() {\n"
		"\tlocal -a vals\n"
		"\tvals=(${(f)\"$(_call_program $1 ${(q)${_nd_bin:-nextdeploy}} ${(q)_nd_gflags[@]} __complete $1 2>/dev/null </dev/null)\"})\n"
		"\treply=($vals)\n"
		"}\n\n"
		"_nextdeploy_services() {\n"
		"\tlocal -a reply expl\n"
		"\t_nextdeploy_dynamic services\n"
		"\t_wanted services expl service compadd -a reply\n"
		"}\n\n"
		"_nextdeploy_releases() {\n"
		"\tlocal -a reply expl\n"
		"\t_nextdeploy_dynamic releases\n"
		"\t_wanted -V releases expl release compadd -a reply\n"
		"}\n\n"
		"_nextdeploy() {\n"
		"\tlocal curcontext=$curcontext state state_descr line ret=1\n"
		"\ttypeset -A opt_args\n"
		"\tlocal _nd_bin=${words[1]}\n"
		"\tlocal -a _nd_gflags\n"
		"\tlocal i\n"
		"\t# global options before the command, for __complete\n"
		"\tfor ((i = 2; i < CURRENT; i++)); do\n"
		"\t\tcase ${words[i]} in\n");
	{
		int k = 0;

		nd_buf_adds(b, "\t\t(");
		for (o = nd_global_opts; o->type != ND_OPT_END; o++) {
			if (!nd_doc_opt_takes_value(o))
				continue;
			if (o->short_name)
				nd_buf_addf(b, "%s-%c", k++ ? "|" : "",
					    o->short_name);
			if (o->long_name)
				nd_buf_addf(b, "%s--%s", k++ ? "|" : "",
					    o->long_name);
		}
		nd_buf_adds(
			b,
			") _nd_gflags+=(${words[i]} ${(Q)words[i+1]}); (( i++ )) ;;\n"
			"\t\t(--*=*) _nd_gflags+=(${(Q)words[i]}) ;;\n"
			"\t\t(-*) ;;\n"
			"\t\t(*) break ;;\n"
			"\t\tesac\n\tdone\n\n"
			"\t_arguments -s -S -C \\\n");
	}
	for (o = nd_global_opts; o->type != ND_OPT_END; o++)
		if (visible(o))
			zsh_opt(b, o);
	nd_buf_adds(
		b, "\t\t'1: :->command' \\\n"
		   "\t\t'*:: :->args' \\\n"
		   "\t\t&& ret=0\n\n"
		   "\tcase $state in\n"
		   "\t(command)\n"
		   "\t\t_nextdeploy_commands && ret=0\n"
		   "\t\t;;\n"
		   "\t(args)\n"
		   "\t\tcurcontext=${curcontext%:*:*}:nextdeploy-${words[1]}:\n"
		   "\t\tcase ${words[1]} in\n");
	for (i = 0; i < ps->nr; i++) {
		const struct nd_command *cmd = ps->items[i].cmd;

		if (strchr(ps->items[i].path, ' '))
			continue; /* handled under its parent */
		nd_buf_addf(b, "\t\t(%s)\n", ps->items[i].path);
		if (cmd->spec->subcommands) {
			nd_buf_adds(b, "\t\t\tif ((CURRENT == 2)); then\n");
			zsh_describe_list(b, "subs", cmd->spec->subcommands,
					  cmd->spec->nsubcommands);
			nd_buf_addf(
				b,
				"\t\t\t\t_describe -t commands '%s command' subs && ret=0\n"
				"\t\t\telse\n"
				"\t\t\t\tshift words\n"
				"\t\t\t\t((CURRENT--))\n"
				"\t\t\t\tcurcontext=${curcontext%%:*:*}:nextdeploy-%s-${words[1]}:\n"
				"\t\t\t\tcase ${words[1]} in\n",
				ps->items[i].path, ps->items[i].path);
			for (j = 0; j < cmd->spec->nsubcommands; j++) {
				const struct nd_command
					*sub = &cmd->spec->subcommands[j];

				if (sub->flags & ND_HIDDEN)
					continue;
				nd_buf_addf(b, "\t\t\t\t(%s)\n", sub->name);
				zsh_arguments(b, sub, "\t\t\t\t\t");
				nd_buf_adds(b, "\t\t\t\t\t;;\n");
			}
			nd_buf_adds(b, "\t\t\t\tesac\n\t\t\tfi\n\t\t\t;;\n");
			continue;
		}
		zsh_arguments(b, cmd, "\t\t\t");
		nd_buf_adds(b, "\t\t\t;;\n");
	}
	nd_buf_adds(b, "\t\tesac\n\t\t;;\n\tesac\n\treturn ret\n}\n\n"
		       "# autoloaded from $fpath: complete; sourced: register\n"
		       "if [[ ${funcstack[1]-} == _nextdeploy ]]; then\n"
		       "\t_nextdeploy \"$@\"\n"
		       "else\n"
		       "\tcompdef _nextdeploy nextdeploy\n"
		       "fi\n");
}

/* --- fish --- */

static void fish_quote(struct nd_buf *b, const char *s)
{
	nd_buf_addch(b, '\'');
	for (; s && *s; s++) {
		if (*s == '\'' || *s == '\\')
			nd_buf_addch(b, '\\');
		nd_buf_addch(b, *s);
	}
	nd_buf_addch(b, '\'');
}

static void fish_values(struct nd_buf *b, enum nd_arg_kind kind,
			const char *const *choices)
{
	const char *const *c;

	switch (kind) {
	case ND_ARG_FILE:
		nd_buf_adds(b, " -r -F");
		break;
	case ND_ARG_DIR:
		nd_buf_adds(b, " -x -a '(__fish_complete_directories)'");
		break;
	case ND_ARG_CHOICE:
		nd_buf_adds(b, " -x -a '");
		for (c = choices; c && *c; c++)
			nd_buf_addf(b, "%s%s", c == choices ? "" : " ", *c);
		nd_buf_adds(b, "'");
		break;
	case ND_ARG_SERVICE:
		nd_buf_adds(b, " -x -a '(__nextdeploy_dynamic services)'");
		break;
	case ND_ARG_RELEASE:
		nd_buf_adds(b, " -x -k -a '(__nextdeploy_dynamic releases)'");
		break;
	case ND_ARG_COMMAND:
		nd_buf_adds(b, " -x -a '(__fish_complete_command)'");
		break;
	case ND_ARG_NDCOMMAND:
		nd_buf_adds(b, " -x -a '(__nextdeploy_ndcommand)'");
		break;
	default:
		nd_buf_adds(b, " -x");
		break;
	}
}

static void fish_opt(struct nd_buf *b, const char *cond, const struct nd_opt *o)
{
	nd_buf_addf(b, "complete -c nextdeploy -n %s", cond);
	if (o->short_name)
		nd_buf_addf(b, " -s %c", o->short_name);
	if (o->long_name)
		nd_buf_addf(b, " -l %s", o->long_name);
	if (nd_doc_opt_takes_value(o))
		fish_values(b, o->kind, o->choices);
	nd_buf_adds(b, " -d ");
	fish_quote(b, o->help);
	nd_buf_addch(b, '\n');
}

static void gen_fish(struct nd_buf *b, const struct paths *ps)
{
	const struct nd_opt *o;
	size_t i, j;
	int k;

	nd_buf_adds(
		b,
		"# fish completion for nextdeploy. Generated by 'nextdeploy completion fish'\n"
		"# from the command table; do not edit. Install it as nextdeploy.fish in a\n"
		"# folder of $fish_complete_path (make install uses\n"
		"# /usr/share/fish/vendor_completions.d), or load it with:\n"
		"# nextdeploy completion fish | source\n\n"
		"# options that take a value: globally, and per command path\n"
		"function __nextdeploy_valopts\n"
		"    switch $argv[1]\n");
	for (i = 0; i < ps->nr; i++) {
		nd_buf_adds(b, "        case ");
		fish_quote(b, ps->items[i].path);
		nd_buf_adds(b, "\n            printf '%s\\n'");
		for (k = 0; k < 2; k++) {
			const struct nd_opt *tbl = k ? nd_global_opts :
						       ps->items[i].cmd->spec
								   ->opts;

			for (o = tbl; o && o->type != ND_OPT_END; o++) {
				if (!nd_doc_opt_takes_value(o) ||
				    (k &&
				     shadowed(o, ps->items[i].cmd->spec->opts)))
					continue;
				if (o->short_name)
					nd_buf_addf(b, " -%c", o->short_name);
				if (o->long_name)
					nd_buf_addf(b, " --%s", o->long_name);
			}
		}
		nd_buf_addch(b, '\n');
	}
	nd_buf_adds(b, "        case '*'\n            printf '%s\\n'");
	for (o = nd_global_opts; o->type != ND_OPT_END; o++) {
		if (!nd_doc_opt_takes_value(o))
			continue;
		if (o->short_name)
			nd_buf_addf(b, " -%c", o->short_name);
		if (o->long_name)
			nd_buf_addf(b, " --%s", o->long_name);
	}
	nd_buf_adds(b,
		    "\n    end\nend\n\n"
		    "function __nextdeploy_subcommands\n    switch $argv[1]\n");
	for (i = 0; i < ps->nr; i++) {
		const struct nd_cmd_spec *spec = ps->items[i].cmd->spec;

		if (!spec->subcommands)
			continue;
		nd_buf_adds(b, "        case ");
		fish_quote(b, ps->items[i].path);
		nd_buf_adds(b, "\n            printf '%s\\n'");
		for (j = 0; j < spec->nsubcommands; j++)
			if (!(spec->subcommands[j].flags & ND_HIDDEN))
				nd_buf_addf(b, " %s", spec->subcommands[j].name);
		nd_buf_addch(b, '\n');
	}
	nd_buf_adds(b, "    end\nend\n\nfunction __nextdeploy_stops_at_arg\n"
		       "    switch $argv[1]\n        case");
	for (i = 0, k = 0; i < ps->nr; i++) {
		if (!(ps->items[i].cmd->flags & ND_STOP_AT_ARG))
			continue;
		nd_buf_adds(b, " ");
		fish_quote(b, ps->items[i].path);
		k++;
	}
	if (!k)
		nd_buf_adds(b, " ''");
	nd_buf_adds(b, "\n            return 0\n    end\n    return 1\nend\n\n"
		       "function __nextdeploy_commands\n");
	for (i = 0; i < nd_commands_nr; i++) {
		if (nd_commands[i].flags & ND_HIDDEN)
			continue;
		nd_buf_addf(b, "    printf '%%s\\t%%s\\n' %s ",
			    nd_commands[i].name);
		fish_quote(b, nd_commands[i].summary);
		nd_buf_addch(b, '\n');
	}
	nd_buf_adds(
		b,
		"end\n\n"
		"# Sets __nd_path (\"logs\", \"local run\"), __nd_npos (arguments after\n"
		"# it), __nd_stop (options ended) and __nd_gflags (global options with\n"
		"# a value given before the command) from the command line.\n"
		"function __nextdeploy_state\n"
		"    set -g __nd_path ''\n"
		"    set -g __nd_npos 0\n"
		"    set -g __nd_stop 0\n"
		"    set -g __nd_gflags\n"
		"    set -g __nd_pos\n"
		"    set -l tokens (commandline -opc)\n"
		"    set -l valopts (__nextdeploy_valopts '')\n"
		"    set -l i 2\n"
		"    while test $i -le (count $tokens)\n"
		"        set -l w $tokens[$i]\n"
		"        set i (math $i + 1)\n"
		"        if test $__nd_stop = 1\n"
		"            set __nd_npos (math $__nd_npos + 1)\n"
		"            set -a __nd_pos $w\n"
		"            continue\n"
		"        end\n"
		"        if test \"$w\" = --\n"
		"            test -n \"$__nd_path\"; and set __nd_stop 1\n"
		"            continue\n"
		"        end\n"
		"        if string match -qr -- '^-.' $w\n"
		"            if contains -- $w $valopts\n"
		"                if test -z \"$__nd_path\"; and test $i -le (count $tokens)\n"
		"                    set -a __nd_gflags $w $tokens[$i]\n"
		"                end\n"
		"                set i (math $i + 1)\n"
		"            end\n"
		"            continue\n"
		"        end\n"
		"        if test -z \"$__nd_path\"\n"
		"            set __nd_path $w\n"
		"            set valopts (__nextdeploy_valopts $__nd_path)\n"
		"            continue\n"
		"        end\n"
		"        if contains -- $w (__nextdeploy_subcommands $__nd_path)\n"
		"            set __nd_path \"$__nd_path $w\"\n"
		"            set valopts (__nextdeploy_valopts $__nd_path)\n"
		"            continue\n"
		"        end\n"
		"        set __nd_npos (math $__nd_npos + 1)\n"
		"        set -a __nd_pos $w\n"
		"        __nextdeploy_stops_at_arg $__nd_path; and set __nd_stop 1\n"
		"    end\n"
		"end\n\n"
		"# before the command name\n"
		"function __nextdeploy_needs_command\n"
		"    __nextdeploy_state\n"
		"    test -z \"$__nd_path\"\n"
		"end\n\n"
		"# options of PATH apply here\n"
		"function __nextdeploy_at\n"
		"    __nextdeploy_state\n"
		"    test \"$__nd_path\" = \"$argv[1]\"; and test $__nd_stop = 0\n"
		"end\n\n"
		"# the N-th argument of PATH (N+: N or later)\n"
		"function __nextdeploy_arg\n"
		"    __nextdeploy_state\n"
		"    test \"$__nd_path\" = \"$argv[1]\"; or return 1\n"
		"    if string match -q -- '*+' $argv[2]\n"
		"        test $__nd_npos -ge (string trim -r -c + -- $argv[2])\n"
		"    else\n"
		"        test $__nd_npos -eq $argv[2]\n"
		"    end\n"
		"end\n\n"
		"# a command name for help: the subcommands once a command is given\n"
		"function __nextdeploy_ndcommand\n"
		"    __nextdeploy_state\n"
		"    if test $__nd_npos -eq 0\n"
		"        __nextdeploy_commands\n"
		"    else if test $__nd_npos -eq 1\n"
		"        __nextdeploy_subcommands $__nd_pos[1]\n"
		"    end\n"
		"end\n\n"
		"# service names and release tags, from the project and the engine\n"
		"function __nextdeploy_dynamic\n"
		"    set -l tokens (commandline -opc)\n"
		"    __nextdeploy_state\n"
		"    command $tokens[1] $__nd_gflags __complete $argv[1] 2>/dev/null </dev/null\n"
		"end\n\n"
		"complete -c nextdeploy -f\n"
		"complete -c nextdeploy -n __nextdeploy_needs_command -a '(__nextdeploy_commands)'\n");
	for (o = nd_global_opts; o->type != ND_OPT_END; o++)
		if (visible(o))
			fish_opt(b, "__nextdeploy_needs_command", o);
	for (i = 0; i < ps->nr; i++) {
		const struct nd_cmd_spec *spec = ps->items[i].cmd->spec;
		struct nd_buf cond = ND_BUF_INIT;
		const struct nd_arg *a;
		int n = 0;

		nd_buf_addch(b, '\n');
		nd_buf_adds(&cond, "'__nextdeploy_at \"");
		nd_buf_adds(&cond, ps->items[i].path);
		nd_buf_adds(&cond, "\"'");
		FOR_EACH_OPT(o, spec->opts, k) fish_opt(b, cond.buf, o);
		for (j = 0; spec->subcommands && j < spec->nsubcommands; j++) {
			const struct nd_command *sub = &spec->subcommands[j];

			if (sub->flags & ND_HIDDEN)
				continue;
			nd_buf_addf(
				b,
				"complete -c nextdeploy -n '__nextdeploy_arg \"%s\" 0' -a %s -d ",
				ps->items[i].path, sub->name);
			fish_quote(b, sub->summary);
			nd_buf_addch(b, '\n');
		}
		for (a = spec->args; a && a->name; a++, n++) {
			nd_buf_addf(
				b,
				"complete -c nextdeploy -n '__nextdeploy_arg \"%s\" %d%s'",
				ps->items[i].path, n, a->repeat ? "+" : "");
			fish_values(b, a->kind, a->choices);
			nd_buf_adds(b, " -d ");
			fish_quote(b, a->name);
			nd_buf_addch(b, '\n');
			if (a->repeat)
				break;
		}
		nd_buf_release(&cond);
	}
}

static int completion_script(struct nd_buf *out, const char *shell)
{
	struct paths ps = { NULL, 0, 0 };

	nd_doc_each_command(collect, &ps);
	if (!strcmp(shell, "bash"))
		gen_bash(out, &ps);
	else if (!strcmp(shell, "zsh"))
		gen_zsh(out, &ps);
	else if (!strcmp(shell, "fish"))
		gen_fish(out, &ps);
	else {
		paths_release(&ps);
		return -1;
	}
	paths_release(&ps);
	return 0;
}

int cmd_completion(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_buf b = ND_BUF_INIT;

	ND_UNUSED(argc);
	ND_UNUSED(ctx);
	if (completion_script(&b, argv[0]) < 0) {
		static const char *const shells[] = { "bash", "zsh", "fish" };
		const char *best = nd_suggest(argv[0], shells, 3);

		nd_msg_error("unknown shell '%s'", argv[0]);
		if (best)
			nd_msg_hint("did you mean '%s'?", best);
		else
			nd_msg_hint("use bash, zsh or fish");
		nd_buf_release(&b);
		return ND_EXIT_USAGE;
	}
	fputs(b.buf, stdout);
	nd_buf_release(&b);
	return 0;
}

/* --- __complete: dynamic values, quiet and fast --- */

/* clang-format off */
static const struct nd_arg complete_args[] = {
	{ "WHAT", ND_ARG_CHOICE,
	  (const char *const[]){ "services", "releases", NULL }, false, false,
	  "what to list" },
	ND_ARG_END,
};
/* clang-format on */

/* clang-format off */
const struct nd_cmd_spec nd_complete_spec = {
	.usage = "services|releases",
	.description = "Print the project's service names or release tags, "
		       "one per line, for the completion scripts. Prints "
		       "nothing on any failure, never prompts, and gives up "
		       "after 3 seconds.",
	.args = complete_args,
	.min_args = 1,
	.max_args = 1,
};
/* clang-format on */

static void on_alarm(int sig)
{
	ND_UNUSED(sig);
	_exit(0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct release {
	const char *tag;
	double created;
};

static int cmp_release(const void *a, const void *b)
{
	const struct release *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return strcmp(x->tag, y->tag);
}

static void print_services(struct nd_engine *e, const char *app)
{
	struct nd_filters f = ND_FILTERS_INIT;
	struct nd_error err = ND_ERROR_INIT;
	cJSON *list = NULL;
	const cJSON *c;
	const char **names = NULL;
	size_t n = 0, i;

	nd_filters_project(&f, app);
	if (e && nd_containers_list(e, true, &f, &list, &err) == 0) {
		names = nd_calloc((size_t)cJSON_GetArraySize(list) + 1,
				  sizeof(*names));
		cJSON_ArrayForEach(c, list) {
			const char *s = nd_json_label(c, "nextdeploy.service");

			if (s && *s)
				names[n++] = s;
		}
	} else {
		names = nd_calloc(1, sizeof(*names));
	}
	names[n++] = "web";
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++)
		if (!i || strcmp(names[i], names[i - 1]))
			printf("%s\n", names[i]);
	free(names);
	cJSON_Delete(list);
	nd_filters_release(&f);
	nd_error_release(&err);
}

static void print_releases(struct nd_engine *e, const char *app)
{
	struct nd_error err = ND_ERROR_INIT;
	struct release *r = NULL;
	cJSON *list = NULL;
	const cJSON *c;
	size_t n = 0, i, j;

	/* one label filter only: Podman answers [] to two on /images/json */
	if (!e || nd_app_images_list(e, app, NULL, &list, &err) < 0)
		goto done;
	r = nd_calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*r));
	cJSON_ArrayForEach(c, list) {
		const char *tag = nd_json_label(c, "nextdeploy.release");

		if (!tag || !*tag)
			continue;
		for (j = 0; j < n; j++)
			if (!strcmp(r[j].tag, tag))
				break;
		if (j < n) {
			if (nd_json_num(c, "Created", 0) > r[j].created)
				r[j].created = nd_json_num(c, "Created", 0);
			continue;
		}
		r[n].tag = tag;
		r[n].created = nd_json_num(c, "Created", 0);
		n++;
	}
	qsort(r, n, sizeof(*r), cmp_release);
	for (i = 0; i < n; i++)
		printf("%s\n", r[i].tag);
done:
	free(r);
	cJSON_Delete(list);
	nd_error_release(&err);
}

int cmd_complete(int argc, const char **argv, struct nd_ctx *ctx)
{
	struct nd_error err = ND_ERROR_INIT;
	struct nd_project *project = NULL;
	struct nd_engine *e = NULL;
	char *path = NULL;

	ND_UNUSED(argc);
	/* completion must never hang the shell */
	signal(SIGALRM, on_alarm);
	alarm(3);
	if (strcmp(argv[0], "services") && strcmp(argv[0], "releases"))
		return 0;
	if (ctx->g->file) {
		if (nd_project_load(&project, ctx->g->file, &err) < 0)
			goto done;
	} else if (nd_project_find(&path, ".", &err) < 0 ||
		   nd_project_load(&project, path, &err) < 0) {
		goto done;
	}
	/* ssh may ask for a password or a host key: never from completion */
	if (nd_engine_open(&e, ctx->g->host, &err) < 0 || e->ssh_target ||
	    nd_engine_connect(e, &err) < 0) {
		nd_engine_free(e);
		e = NULL;
	}
	if (!strcmp(argv[0], "services"))
		print_services(e, project->app);
	else
		print_releases(e, project->app);
done:
	nd_engine_free(e);
	nd_project_free(project);
	nd_error_release(&err);
	free(path);
	return 0;
}
