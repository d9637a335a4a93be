/* SPDX-License-Identifier: MIT */
#ifndef ND_IGNORE_H
#define ND_IGNORE_H

#include "core/common.h"
#include "core/error.h"

/*
 * .dockerignore, with the semantics of the docker CLI (moby/patternmatcher
 * and its ignorefile reader, go-archive's TarWithOptions walker, the CLI's
 * TrimBuildFilesFromExcludes); see ../shared/engine-api/NOTES.md §5.
 *
 * Reading a file (ignorefile.ReadAll):
 * - a UTF-8 BOM on the first line is dropped; '\r' before '\n' too;
 * - a line is a comment only when '#' is its very first character;
 * - lines are trimmed; empty ones are skipped;
 * - a leading '!' is an exception (re-include); blanks after it are trimmed;
 * - the path is cleaned (//, ., .. and a trailing / go) and one leading '/'
 *   is dropped: "/docs/" is "docs".
 *
 * Matching (patternmatcher):
 * - patterns are anchored at the context root and match the whole
 *   '/'-separated relative path: "*.log" does not match "sub/x.log";
 * - '*' is any run of non-'/' characters, '?' one non-'/' character,
 *   "[...]" a class ('^' negates), "\x" a literal x; "**" any run
 *   including '/', and "**" + "/" may match nothing ("**" + "/x" matches
 *   "x"); "abc**" is a string prefix, "**" + "foo" a string suffix;
 * - a path also matches a pattern when one of its parent folders does;
 * - patterns apply in order and the last match wins: a normal pattern
 *   excludes, an exception re-includes.
 *
 * Walking (TarWithOptions): an excluded folder is entered only when the
 * text of an exception pattern starts with "<folder>/"; otherwise its whole
 * subtree is left out ("build" then "!**" + "/important.txt" does not bring
 * back build/keep/important.txt).
 *
 * One deliberate difference: the CLI turns patterns into Go regular
 * expressions, so "\d" in a pattern would be a digit class and "*" inside
 * "[...]" garbles the class; here "\x" is always a literal x and a class
 * holds literal characters, as filepath.Match (which validates the
 * patterns) reads them.
 */

struct nd_ignore_tok;

struct nd_ignore_pattern {
	char *text;	/* cleaned, without the leading '!' */
	bool exclusion; /* a '!' line: re-includes what matches */
	int line;	/* line in .dockerignore; 0 when added by nextdeploy */
	/* compiled form (private) */
	int type;
	struct nd_ignore_tok *toks;
	size_t ntoks;
	size_t ndirs; /* components of text */
};

struct nd_ignore {
	struct nd_ignore_pattern *pats;
	size_t nr, alloc;
	bool exclusions; /* some pattern is an exception */
};
#define ND_IGNORE_INIT            \
	{                         \
		NULL, 0, 0, false \
	}

/*
 * Parse .dockerignore contents and append their patterns. name is used in
 * messages ("app/.dockerignore"). A bad pattern (a lone '!', a malformed
 * "[" class, a trailing '\') is an ND_EPROJECT error at name:line.
 */
int nd_ignore_parse(struct nd_ignore *ig, const char *data, size_t len,
		    const char *name, struct nd_error *err);

/* Append one pattern as a line of the file would give it ("!src"). */
int nd_ignore_add(struct nd_ignore *ig, const char *pattern,
		  struct nd_error *err);

void nd_ignore_release(struct nd_ignore *ig);

/*
 * Is path (relative, '/'-separated, cleaned) excluded? Parents are checked
 * against every pattern (MatchesOrParentMatches).
 */
bool nd_ignore_match(const struct nd_ignore *ig, const char *path);

/*
 * The walker's form (MatchesUsingParentResults): parent holds the per-
 * pattern results of path's parent folder (ig->nr values, or NULL at the
 * top); state receives path's own (ig->nr values) for its children.
 */
bool nd_ignore_match_walk(const struct nd_ignore *ig, const char *path,
			  const bool *parent, bool *state);

/*
 * Must an excluded folder still be entered, because an exception pattern's
 * text starts with "<dir>/"?
 */
bool nd_ignore_enter_dir(const struct nd_ignore *ig, const char *dir);

/*
 * Make sure path is sent even when the patterns exclude it: the CLI does
 * this for .dockerignore and the Dockerfile (the daemon removes them from
 * the final context afterwards when they match). Appends "!path" when the
 * patterns match path, judged as the CLI does (its older Matches, which
 * checks one parent folder with as many components as the pattern).
 */
void nd_ignore_keep(struct nd_ignore *ig, const char *path);

/*
 * Go's filepath.Clean for '/'-separated paths: collapse "//", drop "." and
 * resolve ".." lexically; "" becomes ".". Returns a malloc'd string.
 */
char *nd_path_clean(const char *path);

#endif
