/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "cmd/doc.h"
#include "core/exit.h"

const struct nd_doc_env nd_doc_environment[] = {
	{ "DOCKER_HOST",
	  "the engine to use when -H is not given: unix:///path, "
	  "tcp://host:port or ssh://[user@]host[:port][/socket]" },
	{ "DOCKER_TLS_VERIFY",
	  "when set (and not empty), tcp:// hosts use TLS and verify the "
	  "engine's certificate" },
	{ "DOCKER_CERT_PATH",
	  "the folder holding ca.pem, cert.pem and key.pem for TLS (default "
	  "~/.docker)" },
	{ "DOCKER_CONTEXT",
	  "the docker context whose endpoint to use when neither -H nor "
	  "DOCKER_HOST is set" },
	{ "DOCKER_CONFIG",
	  "the docker configuration folder (default ~/.docker): contexts and "
	  "registry credentials (config.json)" },
	{ "NO_COLOR", "when set and not empty, never color the output" },
	{ "CI",
	  "when set (and not false or 0), progress is printed as plain lines, "
	  "never as bars redrawn in place" },
	{ "NEXTDEPLOY_TRACE",
	  "when 1, print every HTTP exchange with the engine on stderr, with "
	  "credentials and secret values redacted" },
	{ NULL, NULL },
};

const struct nd_doc_exit nd_doc_exit_codes[] = {
	{ ND_EXIT_OK, "success" },
	{ ND_EXIT_FAIL,
	  "the operation failed: a build error, a failed health check, an "
	  "error from the engine" },
	{ ND_EXIT_USAGE,
	  "a usage error (unknown option, bad arguments) or a project-file "
	  "error" },
	{ ND_EXIT_UNREACHABLE, "the engine could not be reached" },
	{ ND_EXIT_INTERRUPTED, "interrupted (Ctrl-C); what was started was "
			       "cleaned up" },
	{ -1, NULL },
};

static bool is_blank_line(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p == end || *p == '\n';
}

void nd_doc_blocks(const char *text, nd_doc_block_fn fn, void *ud)
{
	const char *p = text;

	if (!text)
		return;
	while (*p) {
		const char *start, *end, *l;
		bool pre = true, list = false;

		/* skip blank lines */
		while (*p) {
			const char *eol = strchrnul(p, '\n');

			if (!is_blank_line(p, eol))
				break;
			p = *eol ? eol + 1 : eol;
		}
		if (!*p)
			break;
		/* the paragraph runs to the next blank line */
		start = p;
		end = p;
		while (*end) {
			const char *eol = strchrnul(end, '\n');

			if (is_blank_line(end, eol))
				break;
			end = *eol ? eol + 1 : eol;
		}
		for (l = start; l < end;) {
			const char *eol = strchrnul(l, '\n');

			if (strncmp(l, "  ", 2))
				pre = false;
			l = *eol ? eol + 1 : eol;
		}
		list = !pre && !strncmp(start, "- ", 2);
		if (pre) {
			struct nd_buf b = ND_BUF_INIT;

			for (l = start; l < end;) {
				const char *eol = strchrnul(l, '\n');

				if (eol > end)
					eol = end;
				nd_buf_add(&b, l + 2, (size_t)(eol - l - 2));
				nd_buf_addch(&b, '\n');
				l = *eol ? eol + 1 : eol;
			}
			nd_buf_rtrim(&b);
			fn(ND_DOC_PRE, b.buf, b.len, ud);
			nd_buf_release(&b);
		} else if (list) {
			/* items start at lines beginning with "- " */
			const char *item = start + 2;

			for (l = start; l < end;) {
				const char *eol = strchrnul(l, '\n');
				const char *next = *eol ? eol + 1 : eol;

				if (next >= end || !strncmp(next, "- ", 2)) {
					const char *stop = next > end ? end :
									next;

					while (stop > item &&
					       (stop[-1] == '\n' ||
						stop[-1] == ' '))
						stop--;
					fn(ND_DOC_ITEM, item,
					   (size_t)(stop - item), ud);
					item = next + 2;
				}
				l = next;
			}
		} else {
			const char *stop = end;

			while (stop > start &&
			       (stop[-1] == '\n' || stop[-1] == ' '))
				stop--;
			fn(ND_DOC_PARA, start, (size_t)(stop - start), ud);
		}
		p = end;
	}
}

void nd_doc_synopsis(struct nd_buf *b, const struct nd_command *cmd,
		     const char *path)
{
	const char *usage = cmd->spec && cmd->spec->usage ? cmd->spec->usage :
							    "";

	nd_buf_addf(b, "nextdeploy %s%s%s", path, *usage ? " " : "", usage);
}

void nd_doc_opt_label(struct nd_buf *b, const struct nd_opt *o)
{
	if (o->short_name && o->long_name)
		nd_buf_addf(b, "-%c, --%s", o->short_name, o->long_name);
	else if (o->short_name)
		nd_buf_addf(b, "-%c", o->short_name);
	else
		nd_buf_addf(b, "--%s", o->long_name);
	if (o->value_name)
		nd_buf_addf(b, " %s", o->value_name);
}

bool nd_doc_opt_takes_value(const struct nd_opt *o)
{
	return o->type == ND_OPT_STRING || o->type == ND_OPT_INT ||
	       o->type == ND_OPT_LIST;
}

void nd_doc_opt_help(struct nd_buf *b, const struct nd_opt *o)
{
	nd_buf_adds(b, o->help ? o->help : "");
	if (o->kind == ND_ARG_CHOICE && o->choices) {
		const char *const *c;

		nd_buf_adds(b, " (one of: ");
		for (c = o->choices; *c; c++)
			nd_buf_addf(b, "%s%s", c == o->choices ? "" : ", ", *c);
		nd_buf_addch(b, ')');
	}
	if (o->type == ND_OPT_LIST)
		nd_buf_adds(b, "; may be repeated");
}

void nd_doc_each_command(nd_doc_cmd_fn fn, void *ud)
{
	size_t i, j;

	for (i = 0; i < nd_commands_nr; i++) {
		const struct nd_command *c = &nd_commands[i];

		if (c->flags & ND_HIDDEN)
			continue;
		fn(c, c->name, ud);
		for (j = 0; c->spec && j < c->spec->nsubcommands; j++) {
			const struct nd_command *s = &c->spec->subcommands[j];
			char *path;

			if (s->flags & ND_HIDDEN)
				continue;
			path = nd_xprintf("%s %s", c->name, s->name);
			fn(s, path, ud);
			free(path);
		}
	}
}

char *nd_doc_man_name(const char *path)
{
	char *s = nd_xprintf("nextdeploy-%s", path), *p;

	for (p = s; *p; p++)
		if (*p == ' ')
			*p = '-';
	return s;
}

void nd_doc_wrap(struct nd_buf *out, const char *text, size_t len, int first,
		 int indent, int width)
{
	const char *p = text, *end = text + len;
	int col = first;
	bool at_start = true;

	while (p < end) {
		const char *w = p;
		size_t n;

		while (w < end && *w == ' ')
			w++;
		if (w < end && *w == '\n') {
			nd_buf_addch(out, '\n');
			col = 0;
			at_start = true;
			p = w + 1;
			continue;
		}
		for (n = 0; w + n < end && w[n] != ' ' && w[n] != '\n'; n++)
			;
		if (!n)
			break;
		if (!at_start && col + 1 + (int)n > width) {
			nd_buf_addch(out, '\n');
			col = 0;
			at_start = true;
		}
		if (at_start) {
			if (col < indent) {
				nd_buf_addf(out, "%*s", indent - col, "");
				col = indent;
			}
		} else {
			nd_buf_addch(out, ' ');
			col++;
		}
		nd_buf_add(out, w, n);
		col += (int)n;
		at_start = false;
		p = w + n;
	}
}

const char *nd_doc_section(const struct nd_cmd_spec *spec, const char *title)
{
	const char *const *s;

	for (s = spec ? spec->sections : NULL; s && s[0]; s += 2)
		if (!strcmp(s[0], title))
			return s[1];
	return NULL;
}

const char *nd_doc_kind_name(enum nd_arg_kind kind)
{
	static const char *const names[] = {
		[ND_ARG_NONE] = "none",
		[ND_ARG_TEXT] = "text",
		[ND_ARG_FILE] = "file",
		[ND_ARG_DIR] = "dir",
		[ND_ARG_NUMBER] = "number",
		[ND_ARG_DURATION] = "duration",
		[ND_ARG_TIME] = "time",
		[ND_ARG_HOST] = "host",
		[ND_ARG_SERVICE] = "service",
		[ND_ARG_RELEASE] = "release",
		[ND_ARG_CHOICE] = "choice",
		[ND_ARG_KEYVALUE] = "keyvalue",
		[ND_ARG_USER] = "user",
		[ND_ARG_COMMAND] = "command",
		[ND_ARG_NDCOMMAND] = "ndcommand",
	};

	if ((size_t)kind < ND_ARRAY_SIZE(names) && names[kind])
		return names[kind];
	return "text";
}
