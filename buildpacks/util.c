/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the buildpacks: reading the source's files, a TOML subset,
 * the checks every string passes before it enters a Dockerfile, command
 * lines to exec form, and Dockerfile writing.
 */
#include "core/common.h"
#include "buildpacks/bp.h"
#include "core/project.h"
#include "core/envfile.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- files ---------------------------------------------------------- */

static char *path_of(const struct nd_bp *bp, const char *rel)
{
	return nd_xprintf("%s/%s", bp->dir, rel);
}

bool nd_bp_file(const struct nd_bp *bp, const char *rel)
{
	struct stat st;
	char *path = path_of(bp, rel);
	bool r = !stat(path, &st) && S_ISREG(st.st_mode);

	free(path);
	return r;
}

bool nd_bp_dir(const struct nd_bp *bp, const char *rel)
{
	struct stat st;
	char *path = path_of(bp, rel);
	bool r = !stat(path, &st) && S_ISDIR(st.st_mode);

	free(path);
	return r;
}

int nd_bp_read(char **out, const struct nd_bp *bp, const char *rel,
	       struct nd_error *err)
{
	struct nd_buf b = ND_BUF_INIT_CAP(ND_BP_FILE_CAP);
	char *path = path_of(bp, rel);
	char chunk[8192];
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = nd_error_errno(err,
				   errno == ENOENT ? ND_ENOTFOUND : ND_EGENERIC,
				   "cannot read '%s'", rel);
		goto done;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (nd_buf_add(&b, chunk, (size_t)n) < 0) {
			r = nd_error_set(
				err, ND_EPROJECT,
				"%s: larger than %zu bytes: not a manifest nextdeploy reads",
				rel, ND_BP_FILE_CAP);
			goto done;
		}
	}
	if (n < 0) {
		r = nd_error_errno(err, ND_EGENERIC, "cannot read '%s'", rel);
		goto done;
	}
	if (memchr(b.buf, '\0', b.len)) {
		r = nd_error_set(err, ND_EPROJECT, "%s: holds a NUL byte", rel);
		goto done;
	}
	*out = nd_buf_detach(&b, NULL);
done:
	if (fd >= 0)
		close(fd);
	nd_buf_release(&b);
	free(path);
	return r;
}

char *nd_bp_read_line(const struct nd_bp *bp, const char *rel)
{
	struct nd_error err = ND_ERROR_INIT;
	char *text = NULL, *line = NULL, *p;

	if (nd_bp_read(&text, bp, rel, &err) < 0) {
		nd_error_release(&err);
		return NULL;
	}
	for (p = text; *p;) {
		size_t n = strcspn(p, "\r\n");
		char *s = p, *e = p + n;

		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (e > s && *s != '#') {
			line = nd_strndup(s, (size_t)(e - s));
			break;
		}
		p += n;
		p += strspn(p, "\r\n");
	}
	free(text);
	return line;
}

int nd_bp_read_json(cJSON **out, const struct nd_bp *bp, const char *rel,
		    struct nd_error *err)
{
	char *text = NULL;
	const char *end = NULL;
	cJSON *j;
	int r = nd_bp_read(&text, bp, rel, err);

	if (r < 0)
		return r;
	j = cJSON_ParseWithLengthOpts(text, strlen(text), &end, false);
	if (!j || !cJSON_IsObject(j)) {
		int line = 1, col = 1;
		const char *p;

		if (end)
			for (p = text; p < end && *p; p++) {
				if (*p == '\n') {
					line++;
					col = 1;
				} else {
					col++;
				}
			}
		r = nd_error_set_at(err, ND_EPROJECT, rel, line, col,
				    j ? "expected a JSON object" :
					"invalid JSON");
		cJSON_Delete(j);
		free(text);
		return r;
	}
	free(text);
	*out = j;
	return 0;
}

bool nd_bp_file_contains(const struct nd_bp *bp, const char *rel,
			 const char *needle)
{
	struct nd_error err = ND_ERROR_INIT;
	char *text = NULL;
	bool r;

	if (nd_bp_read(&text, bp, rel, &err) < 0) {
		nd_error_release(&err);
		return false;
	}
	r = strstr(text, needle) != NULL;
	free(text);
	return r;
}

/* --- TOML subset ---------------------------------------------------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Parse a string literal at p into out; returns the end, or NULL. */
static const char *toml_string(const char *p, struct nd_buf *out)
{
	char q = *p;

	if (q != '"' && q != '\'')
		return NULL;
	if (p[1] == q && p[2] == q) /* multi-line strings: not needed */
		return NULL;
	for (p++; *p && *p != q && *p != '\n'; p++) {
		if (q == '"' && *p == '\\' && p[1]) {
			p++;
			switch (*p) {
			case 'n':
				nd_buf_addch(out, '\n');
				break;
			case 't':
				nd_buf_addch(out, '\t');
				break;
			default:
				nd_buf_addch(out, *p);
				break;
			}
			continue;
		}
		nd_buf_addch(out, *p);
	}
	return *p == q ? p + 1 : NULL;
}

/* The key at the start of a line: bare or quoted, dotted keys joined. */
static const char *toml_key(const char *p, struct nd_buf *key)
{
	for (;;) {
		p = skip_ws(p);
		if (*p == '"' || *p == '\'') {
			p = toml_string(p, key);
			if (!p)
				return NULL;
		} else {
			const char *s = p;

			while (isalnum((unsigned char)*p) || *p == '_' ||
			       *p == '-')
				p++;
			if (p == s)
				return NULL;
			nd_buf_add(key, s, (size_t)(p - s));
		}
		p = skip_ws(p);
		if (*p != '.')
			return p;
		nd_buf_addch(key, '.');
		p++;
	}
}

/*
 * Find key in table: calls fn with a pointer to the value text. The
 * table header "[a.b]" or "[[a.b]]" (first one only) selects; a dotted
 * key "a.b = ..." at an outer level counts too.
 */
static const char *toml_find(const char *text, const char *table,
			     const char *key)
{
	struct nd_buf cur = ND_BUF_INIT, k = ND_BUF_INIT, want = ND_BUF_INIT;
	struct nd_buf full = ND_BUF_INIT;
	const char *p = text, *found = NULL;
	bool seen_aot = false;

	nd_buf_addf(&want, "%s%s%s", table, *table ? "." : "", key);
	while (*p && !found) {
		const char *line = skip_ws(p), *e;

		p += strcspn(p, "\n");
		if (*p)
			p++;
		if (*line == '[') {
			bool aot = line[1] == '[';
			const char *s = line + (aot ? 2 : 1);

			nd_buf_reset(&cur);
			if (!toml_key(s, &cur))
				nd_buf_sets(&cur, "\x01");
			if (aot) {
				/* only the first [[table]] counts */
				if (!strcmp(cur.buf, table)) {
					if (seen_aot)
						nd_buf_sets(&cur, "\x01");
					seen_aot = true;
				}
			}
			continue;
		}
		if (*line == '#' || *line == '\n' || !*line)
			continue;
		nd_buf_reset(&k);
		e = toml_key(line, &k);
		if (!e || *e != '=')
			continue;
		/* [a] b.c = ... and [a.b] c = ... both name a.b.c */
		nd_buf_reset(&full);
		nd_buf_addf(&full, "%s%s%s", cur.buf, cur.len ? "." : "", k.buf);
		if (!strcmp(full.buf, want.buf))
			found = skip_ws(e + 1);
	}
	nd_buf_release(&cur);
	nd_buf_release(&k);
	nd_buf_release(&want);
	nd_buf_release(&full);
	return found;
}

char *nd_toml_get(const char *text, const char *table, const char *key)
{
	const char *v = toml_find(text, table, key);
	struct nd_buf b = ND_BUF_INIT;

	if (!v)
		return NULL;
	if (*v == '"' || *v == '\'') {
		if (!toml_string(v, &b)) {
			nd_buf_release(&b);
			return NULL;
		}
		return nd_buf_detach(&b, NULL);
	}
	/* a bare value (number, boolean): up to a comment or the line end */
	{
		size_t n = strcspn(v, "#\n");

		while (n && isspace((unsigned char)v[n - 1]))
			n--;
		if (!n || *v == '[' || *v == '{')
			return NULL;
		return nd_strndup(v, n);
	}
}

bool nd_toml_get_array(const char *text, const char *table, const char *key,
		       struct nd_strvec *out)
{
	const char *p = toml_find(text, table, key);

	if (!p || *p != '[')
		return false;
	for (p++; *p && *p != ']';) {
		if (*p == '"' || *p == '\'') {
			struct nd_buf b = ND_BUF_INIT;

			p = toml_string(p, &b);
			if (!p) {
				nd_buf_release(&b);
				return true;
			}
			nd_strvec_push_nodup(out, nd_buf_detach(&b, NULL));
			continue;
		}
		if (*p == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		if (*p == '{' || *p == '[') { /* inline tables: skip */
			int depth = 0;

			do {
				if (*p == '{' || *p == '[')
					depth++;
				else if (*p == '}' || *p == ']')
					depth--;
				p++;
			} while (*p && depth > 0);
			continue;
		}
		p++;
	}
	return true;
}

bool nd_toml_has_table(const char *text, const char *table)
{
	const char *p = text;
	size_t n = strlen(table);

	while (*p) {
		const char *line = skip_ws(p);

		p += strcspn(p, "\n");
		if (*p)
			p++;
		if (*line != '[')
			continue;
		line++;
		if (*line == '[')
			line++;
		line = skip_ws(line);
		if (!strncmp(line, table, n) &&
		    (line[n] == ']' || line[n] == '.' || line[n] == ' '))
			return true;
	}
	return false;
}

/* --- plan helpers --------------------------------------------------- */

const char *nd_bp_key(const struct nd_bp *bp, const char *key)
{
	const struct nd_project *p = bp->p;

	if (!p)
		return NULL;
	if (!strcmp(key, "build.install"))
		return p->build.install;
	if (!strcmp(key, "build.command"))
		return p->build.command;
	if (!strcmp(key, "build.start"))
		return p->build.start;
	if (!strcmp(key, "build.output_dir"))
		return p->build.output_dir;
	if (!strcmp(key, "build.base_image"))
		return p->build.base_image;
	if (!strcmp(key, "build.runtime_image"))
		return p->build.runtime_image;
	if (!strcmp(key, "build.target"))
		return p->build.target;
	if (!strcmp(key, "build.dockerfile"))
		return p->build.dockerfile;
	if (!strcmp(key, "build.compose_file"))
		return p->build.compose_file;
	BUG("unknown key %s", key);
}

void nd_bp_reason_key(struct nd_bp *bp, const char *what, const char *value,
		      const char *key)
{
	struct nd_plan *plan = bp->plan;

	nd_plan_reason(plan, what, value, ND_PROJECT_FILE);
	plan->reasons[plan->nreasons - 1].key = nd_strdup(key);
}

void nd_bp_version(struct nd_bp *bp, const char *name, const char *value)
{
	nd_kvlist_set(&bp->plan->versions, name, value);
}

void nd_bp_warn(struct nd_bp *bp, const char *fmt, ...)
{
	struct nd_buf b = ND_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	nd_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	nd_strvec_push_nodup(&bp->plan->warnings, nd_buf_detach(&b, NULL));
}

int nd_bp_error(struct nd_bp *bp, struct nd_error *err, const char *key,
		const char *file, const char *fmt, ...)
{
	struct nd_buf b = ND_BUF_INIT;
	va_list ap;
	int line = 0, col = 0;

	va_start(ap, fmt);
	nd_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (file) {
		nd_error_set(err, ND_EPROJECT, "%s: %s", file, b.buf);
	} else if (bp->p && nd_project_pos(bp->p, key, &line, &col)) {
		nd_error_set_at(err, ND_EPROJECT, bp->p->path, line, col, "%s",
				b.buf);
	} else {
		nd_error_set(err, ND_EPROJECT, "%s: %s", key, b.buf);
	}
	nd_buf_release(&b);
	return ND_EPROJECT;
}

/* --- checks --------------------------------------------------------- */

bool nd_bp_version_ok(const char *s)
{
	size_t n = 0;

	if (!s || !*s || !isalnum((unsigned char)*s))
		return false;
	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && !strchr(".-_+", s[n]))
			return false;
	return n <= 64;
}

bool nd_bp_path_ok(const char *s)
{
	const char *p;

	if (!s || !*s || *s == '/' || *s == '-' || strlen(s) > 255)
		return false;
	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._/@+-", *p))
			return false;
	for (p = s; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		p += strspn(p, "/");
	}
	return true;
}

/* Length of the UTF-8 sequence at s, or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f)))
		return 0;
	if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f)))
		return 0;
	return n;
}

const char *nd_bp_command_problem(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s)
		return "it is missing";
	while (*p) {
		size_t n = utf8_len(p);

		if (!n)
			return "it is not valid UTF-8";
		if (n == 1 &&
		    ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f))
			return *p == '\r' ? "it holds a carriage return" :
					    "it holds a control character";
		p += n;
	}
	return NULL;
}

/* --- command lines -------------------------------------------------- */

static bool is_name_char(char c, bool first)
{
	return c == '_' || isalpha((unsigned char)c) ||
	       (!first && isdigit((unsigned char)c));
}

/* Is the word at [s, e) an assignment NAME=...? */
static bool is_assignment(const char *s, const char *e)
{
	const char *p = s;

	if (p >= e || !is_name_char(*p, true))
		return false;
	while (p < e && is_name_char(*p, false))
		p++;
	return p < e && *p == '=';
}

int nd_bp_cmd_argv(struct nd_strvec *out, const char *cmd, struct nd_error *err)
{
	static const char *const keywords[] = {
		"if",	 "then",     "else", "elif", "fi",     "for", "while",
		"until", "do",	     "done", "case", "esac",   "{",   "}",
		"!",	 "function", "exec", "eval", "source", ".",   NULL,
	};
	struct nd_strvec words = ND_STRVEC_INIT;
	struct nd_buf w = ND_BUF_INIT;
	const char *p, *problem, *cmd_start = NULL;
	bool in_word = false, shell = false, compound = false;
	bool word_quoted = false, leading = true;
	const char *word_begin = NULL;
	size_t i;
	int r = 0;

	problem = nd_bp_command_problem(cmd);
	if (problem)
		return nd_error_set(
			err, ND_EPROJECT,
			"the command cannot be put in a Dockerfile: %s",
			problem);
	for (p = cmd; *p; p++) {
		char c = *p;

		if (c == ' ' || c == '\t' || c == '\n') {
			if (c == '\n')
				shell = compound = true;
			if (in_word) {
				if (leading && !word_quoted &&
				    is_assignment(word_begin, p))
					shell = true;
				else if (leading) {
					leading = false;
					cmd_start = word_begin;
				}
				nd_strvec_push(&words, w.buf);
				nd_buf_reset(&w);
				in_word = false;
			}
			continue;
		}
		if (!in_word) {
			in_word = true;
			word_quoted = false;
			word_begin = p;
			if (c == '#' || c == '~')
				shell = true;
		}
		switch (c) {
		case '\\':
			if (!p[1])
				goto unterminated;
			if (p[1] == '\n') { /* line continuation */
				shell = true;
				p++;
				break;
			}
			nd_buf_addch(&w, *++p);
			word_quoted = true;
			break;
		case '\'':
			word_quoted = true;
			for (p++; *p && *p != '\''; p++)
				nd_buf_addch(&w, *p);
			if (!*p)
				goto unterminated;
			break;
		case '"':
			word_quoted = true;
			for (p++; *p && *p != '"'; p++) {
				if (*p == '$' || *p == '`')
					shell = true;
				if (*p == '\\' && p[1] &&
				    strchr("$`\"\\\n", p[1]))
					p++;
				nd_buf_addch(&w, *p);
			}
			if (!*p)
				goto unterminated;
			break;
		case ';':
		case '&':
		case '|':
		case '(':
		case ')':
			shell = compound = true;
			nd_buf_addch(&w, c);
			break;
		case '$':
		case '`':
		case '<':
		case '>':
		case '*':
		case '?':
		case '[':
		case '{':
		case '}':
			shell = true;
			nd_buf_addch(&w, c);
			break;
		default:
			nd_buf_addch(&w, c);
		}
	}
	if (in_word) {
		if (leading && !word_quoted && is_assignment(word_begin, p))
			shell = true;
		else if (leading) {
			leading = false;
			cmd_start = word_begin;
		}
		nd_strvec_push(&words, w.buf);
	}
	if (!words.nr || !cmd_start) {
		r = nd_error_set(err, ND_EPROJECT,
				 words.nr ? "the command only sets variables" :
					    "the command is empty");
		goto done;
	}
	for (i = 0; keywords[i]; i++)
		if (!strcmp(words.items[0], keywords[i]))
			shell = compound = true;
	if (!shell) {
		for (i = 0; i < words.nr; i++)
			nd_strvec_push(out, words.items[i]);
		goto done;
	}
	nd_strvec_push(out, "/bin/sh");
	nd_strvec_push(out, "-c");
	if (compound) {
		nd_strvec_push(out, cmd);
	} else {
		struct nd_buf s = ND_BUF_INIT;
		const char *e = cmd + strlen(cmd);

		/* "exec" after leading assignments (FOO=1 exec app works) */
		nd_buf_add(&s, cmd, (size_t)(cmd_start - cmd));
		nd_buf_adds(&s, "exec ");
		while (e > cmd_start && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		nd_buf_add(&s, cmd_start, (size_t)(e - cmd_start));
		nd_strvec_push_nodup(out, nd_buf_detach(&s, NULL));
	}
	goto done;
unterminated:
	r = nd_error_set(err, ND_EPROJECT,
			 "the command has an unterminated quote or escape");
done:
	nd_strvec_release(&words);
	nd_buf_release(&w);
	return r;
}

int nd_plan_cmd_argv(struct nd_strvec *out, const char *cmd,
		     struct nd_error *err)
{
	return nd_bp_cmd_argv(out, cmd, err);
}

/* --- Dockerfile writing --------------------------------------------- */

void nd_df_json_string(struct nd_buf *b, const char *s)
{
	cJSON *j = cJSON_CreateString(s);
	char *t = cJSON_PrintUnformatted(j);

	if (!t)
		BUG("cJSON_PrintUnformatted failed");
	nd_buf_adds(b, t);
	cJSON_free(t);
	cJSON_Delete(j);
}

void nd_df_json_array(struct nd_buf *b, const struct nd_strvec *v)
{
	size_t i;

	nd_buf_addch(b, '[');
	for (i = 0; i < v->nr; i++) {
		if (i)
			nd_buf_adds(b, ", ");
		nd_df_json_string(b, v->items[i]);
	}
	nd_buf_addch(b, ']');
}

void nd_df_exec(struct nd_buf *b, const char *instr, const struct nd_strvec *v)
{
	nd_buf_addf(b, "%s ", instr);
	nd_df_json_array(b, v);
	nd_buf_addch(b, '\n');
}

void nd_df_run_user(struct nd_buf *b, const char *cmd)
{
	struct nd_strvec v = ND_STRVEC_INIT;

	nd_strvec_push(&v, "/bin/sh");
	nd_strvec_push(&v, "-c");
	nd_strvec_push(&v, cmd);
	nd_df_exec(b, "RUN", &v);
	nd_strvec_release(&v);
}

void nd_df_write_file(struct nd_buf *b, const char *path,
		      const struct nd_strvec *lines)
{
	char *dir = nd_strdup(path), *slash = strrchr(dir, '/');
	char *script;
	size_t i;

	if (slash && slash != dir)
		*slash = '\0';
	script = nd_xprintf("mkdir -p %s && printf '%%s\\n' \"$@\" >%s", dir,
			    path);
	nd_buf_adds(b, "RUN [\"/bin/sh\", \"-c\", ");
	nd_df_json_string(b, script);
	nd_buf_adds(b, ", \"sh\"");
	for (i = 0; i < lines->nr; i++) {
		nd_buf_adds(b, ", \\\n     ");
		nd_df_json_string(b, lines->items[i]);
	}
	nd_buf_adds(b, "]\n");
	free(script);
	free(dir);
}

/*
 * A LABEL value in double quotes: the Dockerfile parser takes backslash
 * escapes and substitutes $VARIABLES inside them, so \\, " and $ are
 * escaped. A control character cannot be written in a LABEL line at all;
 * the values here are validated names, so one never comes, but it would be
 * dropped rather than break the line.
 */
static void df_label_value(struct nd_buf *b, const char *s)
{
	nd_buf_addch(b, '"');
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			continue;
		if (*s == '\\' || *s == '"' || *s == '$')
			nd_buf_addch(b, '\\');
		nd_buf_addch(b, *s);
	}
	nd_buf_addch(b, '"');
}

void nd_df_stage_prelude(struct nd_buf *b, const struct nd_bp *bp,
			 const char *stage)
{
	size_t i;

	if (!bp->p)
		return;
	nd_buf_adds(b, "LABEL nextdeploy.managed=\"true\" nextdeploy.app=");
	df_label_value(b, bp->p->app);
	nd_buf_adds(b, " nextdeploy.stage=");
	df_label_value(b, stage);
	nd_buf_addch(b, '\n');
	for (i = 0; i < bp->p->build.args.nr; i++)
		nd_buf_addf(b, "ARG %s\n", bp->p->build.args.items[i].key);
}

void nd_df_cmd(struct nd_buf *b, const struct nd_plan *plan)
{
	nd_df_exec(b, "CMD", &plan->start_argv);
}

bool nd_toml_table_has_keys(const char *text, const char *table)
{
	const char *p = text;
	size_t n = strlen(table);
	bool in = false;

	while (*p) {
		const char *line = skip_ws(p);

		p += strcspn(p, "\n");
		if (*p)
			p++;
		if (*line == '[') {
			const char *s = skip_ws(line + 1);

			in = !strncmp(s, table, n) && skip_ws(s + n)[0] == ']';
			continue;
		}
		if (in && *line && *line != '#' && *line != '\n' &&
		    *line != '\r')
			return true;
	}
	return false;
}
