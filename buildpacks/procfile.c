/* SPDX-License-Identifier: MIT */
/*
 * Procfile (Heroku's format, honored for every kind): one "type: command"
 * a line; "web" is the start command, "release" the pre-deploy step, the
 * others are extra process types. Blank lines and "#" comments are
 * skipped. Hand-written: it is one regular line format.
 */
#include "core/common.h"
#include "buildpacks/bp.h"

#include <ctype.h>

int nd_bp_procfile_parse(struct nd_bp_procfile **out, const char *file,
			 const char *text, struct nd_error *err)
{
	struct nd_bp_procfile *pf = nd_calloc(1, sizeof(*pf));
	const char *p = text;
	int lineno = 0;

	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = nd_strndup(p, n), *s = line, *e, *name_end;
		const char *problem;

		lineno++;
		p += n;
		if (*p)
			p++;
		e = line + strlen(line);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#') {
			free(line);
			continue;
		}
		name_end = s;
		while (isalnum((unsigned char)*name_end) || *name_end == '_' ||
		       *name_end == '-')
			name_end++;
		if (name_end == s || *name_end != ':') {
			nd_error_set_at(
				err, ND_EPROJECT, file, lineno,
				(int)(name_end - line) + 1,
				"expected 'TYPE: COMMAND' (TYPE of letters, digits, '_' or '-')");
			free(line);
			goto fail;
		}
		*name_end = '\0';
		{
			char *cmd = name_end + 1;

			while (isspace((unsigned char)*cmd))
				cmd++;
			if (!*cmd) {
				nd_error_set_at(
					err, ND_EPROJECT, file, lineno,
					(int)(cmd - line) + 1,
					"process type '%s' has no command", s);
				free(line);
				goto fail;
			}
			problem = nd_bp_command_problem(cmd);
			if (problem) {
				nd_error_set_at(
					err, ND_EPROJECT, file, lineno,
					(int)(cmd - line) + 1,
					"the command of '%s' cannot be used: %s",
					s, problem);
				free(line);
				goto fail;
			}
			if (nd_kvlist_find(&pf->entries, s)) {
				nd_error_set_at(
					err, ND_EPROJECT, file, lineno, 1,
					"process type '%s' is defined twice",
					s);
				free(line);
				goto fail;
			}
			nd_kvlist_add(&pf->entries, s, cmd, lineno,
				      (int)(cmd - line) + 1);
		}
		free(line);
	}
	*out = pf;
	return 0;
fail:
	nd_bp_procfile_free(pf);
	return ND_EPROJECT;
}

void nd_bp_procfile_free(struct nd_bp_procfile *pf)
{
	if (!pf)
		return;
	nd_kvlist_release(&pf->entries);
	free(pf);
}
