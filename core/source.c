/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/buf.h"
#include "core/cleanup.h"
#include "core/project.h"
#include "core/source.h"
#include "core/known_hosts.h"

#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *git_msg(void)
{
	const git_error *e = git_error_last(); /* can be NULL in 1.5 */

	return e && e->message ? e->message : "unknown libgit2 error";
}

char *nd_url_strip_credentials(const char *url)
{
	const char *scheme = strstr(url, "://"), *host, *at, *slash;

	if (!scheme)
		return nd_strdup(url);
	host = scheme + 3;
	slash = strchr(host, '/');
	at = strchr(host, '@');
	if (!at || (slash && at > slash))
		return nd_strdup(url);
	/* an ssh user name is no secret, and says who logs in: keep it */
	if (nd_starts_with(url, "ssh://")) {
		const char *colon = memchr(host, ':', (size_t)(at - host));

		if (!colon)
			return nd_strdup(url);
		return nd_xprintf("%.*s%s", (int)(colon - url), url, at);
	}
	return nd_xprintf("%.*s%s", (int)(host - url), url, at + 1);
}

void nd_source_free(struct nd_source *s)
{
	if (!s)
		return;
	if (s->tmpdir) {
		nd_rmtree(s->tmpdir);
		nd_cleanup_forget_dir(s->tmpdir);
	}
	free(s->dir);
	free(s->root);
	free(s->tmpdir);
	free(s->url);
	free(s->ref);
	free(s->commit);
	free(s->short_commit);
	nd_strvec_release(&s->changes);
	free(s);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static char *abs_from(const char *base, const char *path)
{
	return path[0] == '/' ? nd_strdup(path) :
				nd_xprintf("%s/%s", base, path);
}

static int commit_ids(struct nd_source *s, git_object *commit,
		      struct nd_error *err)
{
	git_buf b = GIT_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), git_object_id(commit));
	if (git_object_short_id(&b, commit) < 0)
		return nd_error_set(err, ND_EGENERIC,
				    "cannot abbreviate the commit id: %s",
				    git_msg());
	s->commit = nd_strdup(hex);
	s->short_commit = nd_strndup(b.ptr, b.size);
	git_buf_dispose(&b);
	return 0;
}

/* --- source.path --- */

static int open_path(struct nd_source *s, const struct nd_project *p,
		     struct nd_error *err)
{
	char *given = abs_from(p->dir, p->source.path ? p->source.path : ".");
	char *real = realpath(given, NULL);
	int r = 0;

	if (!real || !is_dir(real)) {
		r = nd_project_error(
			p, err, "source.path", "the source folder '%s' %s",
			given, real ? "is not a folder" : "does not exist");
		free(real);
	} else {
		s->root = real;
	}
	free(given);
	return r;
}

/*
 * A source.path folder in a git work tree: the HEAD commit, when the
 * folder is part of it (a folder git ignores, or one that is not
 * committed yet, is not), and what `git status --ignored` shows inside
 * it (untracked and ignored folders as one "dir/" entry each).
 */
static int path_git_info(struct nd_source *s, struct nd_error *err)
{
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_object *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_status_list *list = NULL;
	git_remote *origin = NULL;
	git_status_options so;
	const char *workdir;
	char *wd = NULL, *rel = NULL, *spec = NULL;
	size_t i, n, rl;
	int r = 0;

	if (git_repository_open_ext(&repo, s->dir, 0, NULL) < 0 ||
	    git_repository_is_bare(repo) ||
	    !(workdir = git_repository_workdir(repo)) ||
	    !(wd = realpath(workdir, NULL)))
		goto done; /* not in a git work tree: a content hash */
	n = strlen(wd);
	if (strncmp(s->dir, wd, n) || (s->dir[n] && s->dir[n] != '/'))
		goto done;
	rel = nd_strdup(s->dir[n] ? s->dir + n + 1 : "");
	if (git_repository_head(&head, repo) < 0 ||
	    git_reference_peel(&commit, head, GIT_OBJECT_COMMIT) < 0 ||
	    git_commit_tree(&tree, (git_commit *)commit) < 0)
		goto done; /* no commit yet */
	if (*rel && (git_tree_entry_bypath(&te, tree, rel) < 0 ||
		     git_tree_entry_type(te) != GIT_OBJECT_TREE))
		goto done; /* the folder is not committed */

	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
		   GIT_STATUS_OPT_INCLUDE_IGNORED |
		   GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (*rel) {
		spec = nd_xprintf("%s/", rel);
		so.pathspec.strings = &spec;
		so.pathspec.count = 1;
	}
	if (git_status_list_new(&list, repo, &so) < 0) {
		r = nd_error_set(err, ND_EGENERIC,
				 "cannot read the git status of '%s': %s",
				 s->dir, git_msg());
		goto done;
	}
	rl = *rel ? strlen(rel) + 1 : 0;
	for (i = 0; i < git_status_list_entrycount(list); i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		const git_diff_delta *d = e->index_to_workdir ?
						  e->index_to_workdir :
						  e->head_to_index;
		const char *path;

		if (!d)
			continue;
		path = d->new_file.path ? d->new_file.path : d->old_file.path;
		if (!path || strlen(path) < rl ||
		    strncmp(path, spec ? spec : "", rl))
			continue;
		nd_strvec_push(&s->changes, path + rl);
	}
	if ((r = commit_ids(s, commit, err)) < 0)
		goto done;
	if (!git_remote_lookup(&origin, repo, "origin") &&
	    git_remote_url(origin))
		s->url = nd_url_strip_credentials(git_remote_url(origin));
done:
	git_remote_free(origin);
	git_status_list_free(list);
	git_tree_entry_free(te);
	git_tree_free(tree);
	git_object_free(commit);
	git_reference_free(head);
	git_repository_free(repo);
	git_error_clear();
	free(wd);
	free(rel);
	free(spec);
	return r;
}

/* --- source.git --- */

struct clone_ctx {
	const struct nd_source_opts *o;
	const char *token;
	int tried_agent, tried_keys, tried_token, tried_user;
	bool auth_asked;
	int ssh_port;	   /* from the URL; 0: the default */
	char *hostkey_msg; /* why the server's host key was refused */
	char *hostkey_hint;
};

/* The port of ssh://[user@]host:port/...; 0 for scp-like URLs. */
static int ssh_url_port(const char *url)
{
	const char *h, *end, *colon;

	if (!nd_starts_with(url, "ssh://"))
		return 0;
	h = url + 6;
	end = h + strcspn(h, "/");
	if (memchr(h, '@', (size_t)(end - h)))
		h = (const char *)memchr(h, '@', (size_t)(end - h)) + 1;
	colon = memchr(h, ':', (size_t)(end - h));
	return colon ? atoi(colon + 1) : 0;
}

/*
 * ssh: the server's host key must be in known_hosts (core/known_hosts.h).
 * libgit2 1.5 checks nothing itself; without this any server on the path
 * could hand us a source to build.
 */
static int cert_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	struct clone_ctx *c = payload;
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	char fp[96], where[300];
	enum nd_hostkey_status st;

	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return valid ? 0 : 1; /* TLS: libgit2 already verified it */
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		c->hostkey_msg = nd_xprintf(
			"the ssh server %s sent no host key to check", host);
		return -1;
	}
	st = nd_known_hosts_check(host, c->ssh_port, hk->hostkey,
				  hk->hostkey_len, (int)hk->raw_type);
	if (st == ND_HOSTKEY_MATCH)
		return 0;
	nd_hostkey_fingerprint(fp, sizeof(fp), hk->hostkey, hk->hostkey_len);
	if (c->ssh_port && c->ssh_port != 22)
		snprintf(where, sizeof(where), "[%s]:%d", host, c->ssh_port);
	else
		snprintf(where, sizeof(where), "%s", host);
	if (st == ND_HOSTKEY_MISMATCH) {
		c->hostkey_msg = nd_xprintf(
			"the host key of %s has CHANGED (%s %s): someone may be intercepting the connection",
			where, nd_hostkey_type_name((int)hk->raw_type), fp);
		c->hostkey_hint = nd_xprintf(
			"if the server's key really changed, update its line in ~/.ssh/known_hosts");
	} else {
		c->hostkey_msg = nd_xprintf(
			"the host key of %s is not in ~/.ssh/known_hosts (%s %s)",
			where, nd_hostkey_type_name((int)hk->raw_type), fp);
		c->hostkey_hint = nd_xprintf(
			"check the fingerprint, then add it: ssh-keyscan%s%.0d %s >> ~/.ssh/known_hosts",
			c->ssh_port && c->ssh_port != 22 ? " -p " : "",
			c->ssh_port && c->ssh_port != 22 ? c->ssh_port : 0,
			host);
	}
	return -1;
}

static const char *token_user(const char *url)
{
	if (strstr(url, "gitlab"))
		return "oauth2";
	if (strstr(url, "bitbucket.org"))
		return "x-token-auth";
	return "x-access-token";
}

static int cred_cb(git_credential **out, const char *url,
		   const char *user_from_url, unsigned int allowed,
		   void *payload)
{
	struct clone_ctx *c = payload;
	const char *user = user_from_url && *user_from_url ? user_from_url :
							     NULL;

	c->auth_asked = true;
	if ((allowed & GIT_CREDENTIAL_USERNAME) && !c->tried_user++)
		return git_credential_username_new(out, user ? user : "git");
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		const char *home = getenv("HOME");
		static const char *const keys[] = { "id_ed25519", "id_ecdsa",
						    "id_rsa" };

		if (!c->tried_agent++ && getenv("SSH_AUTH_SOCK"))
			return git_credential_ssh_key_from_agent(
				out, user ? user : "git");
		while (home && (size_t)c->tried_keys < ND_ARRAY_SIZE(keys)) {
			char *priv = nd_xprintf("%s/.ssh/%s", home,
						keys[c->tried_keys++]);
			char *pub = nd_xprintf("%s.pub", priv);
			int r = 1;

			if (!access(priv, R_OK))
				r = git_credential_ssh_key_new(
					out, user ? user : "git",
					access(pub, R_OK) ? NULL : pub, priv,
					NULL);
			free(priv);
			free(pub);
			if (r <= 0)
				return r;
		}
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && c->token &&
	    !c->tried_token++)
		return git_credential_userpass_plaintext_new(
			out, user ? user : token_user(url), c->token);
	git_error_set_str(GIT_ERROR_NET, "authentication failed");
	return GIT_EAUTH;
}

static int progress_cb(const git_indexer_progress *st, void *payload)
{
	struct clone_ctx *c = payload;
	struct nd_source_progress p;

	if (!c->o || !c->o->on_progress)
		return 0;
	p.received_objects = st->received_objects;
	p.total_objects = st->total_objects;
	p.indexed_objects = st->indexed_objects;
	p.received_bytes = st->received_bytes;
	c->o->on_progress(&p, c->o->ud);
	return 0;
}

/* https://, ssh://, user@host:path (scp-like), or a folder. */
static int git_location(char **out, bool *local, const struct nd_project *p,
			struct nd_error *err)
{
	const char *g = p->source.git;
	const char *colon = strchr(g, ':'), *slash = strchr(g, '/');
	char *path;

	*local = false;
	if (strstr(g, "://")) {
		*local = nd_starts_with(g, "file://");
		*out = nd_strdup(g);
		return 0;
	}
	path = abs_from(p->dir, g);
	if (is_dir(path)) {
		*local = true;
		*out = path;
		return 0;
	}
	free(path);
	if (colon && colon != g && (!slash || colon < slash)) {
		*out = nd_strdup(g);
		return 0;
	}
	return nd_project_error(p, err, "source.git",
				"no git repository at '%s'", g);
}

/*
 * source.ref: a branch of the remote, a tag, a full ref name, or a commit
 * id (full or abbreviated). Looked up directly rather than through
 * git_revparse_single, whose "describe" pattern leaks PCRE2 memory in the
 * libgit2 1.5 of Debian bookworm.
 */
static int resolve_ref(git_object **out, git_repository *repo, const char *ref,
		       const char *remote_head)
{
	git_reference *r = NULL;
	git_object *obj = NULL;
	char *names[3];
	size_t i, n;
	int rc = -1;

	if (!ref) {
		/* the remote's HEAD: "refs/heads/main" */
		if (!remote_head || !nd_starts_with(remote_head, "refs/heads/"))
			return -1;
		ref = remote_head + 11;
	}
	n = strlen(ref);
	names[0] = nd_xprintf("refs/remotes/origin/%s", ref);
	names[1] = nd_xprintf("refs/tags/%s", ref);
	names[2] = nd_strdup(ref);
	for (i = 0; i < 3 && rc < 0; i++)
		if (git_reference_lookup(&r, repo, names[i]) == 0) {
			rc = git_reference_peel(out, r, GIT_OBJECT_COMMIT);
			git_reference_free(r);
		}
	for (i = 0; i < 3; i++)
		free(names[i]);
	if (rc == 0)
		return 0;
	if (n >= 4 && n <= GIT_OID_HEXSZ &&
	    strspn(ref, "0123456789abcdefABCDEF") == n) {
		git_oid oid;

		if (git_oid_fromstrn(&oid, ref, n) == 0 &&
		    git_object_lookup_prefix(&obj, repo, &oid, n,
					     GIT_OBJECT_ANY) == 0) {
			rc = git_object_peel(out, obj, GIT_OBJECT_COMMIT);
			git_object_free(obj);
		}
	}
	return rc;
}

/*
 * git's url.<base>.insteadOf (the longest matching base wins), from the
 * user's and the system's git config. Done here because libgit2 1.5 looks
 * it up with git_regexp_match, which leaks PCRE2 match data for every
 * config entry that does not match (LeakSanitizer reports each clone).
 */
struct insteadof {
	const char *url;
	char *best; /* the rewritten URL */
	size_t best_len;
};

static int insteadof_cb(const git_config_entry *e, void *payload)
{
	struct insteadof *io = payload;
	const char *name = e->name, *end;
	size_t vl;

	if (strncmp(name, "url.", 4) || !(end = strrchr(name, '.')) ||
	    strcmp(end, ".insteadof") || !e->value)
		return 0;
	vl = strlen(e->value);
	if (vl && vl > io->best_len && !strncmp(io->url, e->value, vl)) {
		free(io->best);
		io->best = nd_xprintf("%.*s%s", (int)(end - (name + 4)),
				      name + 4, io->url + vl);
		io->best_len = vl;
	}
	return 0;
}

static char *apply_insteadof(const char *url)
{
	git_config *cfg = NULL;
	struct insteadof io = { url, NULL, 0 };

	if (git_config_open_default(&cfg) == 0) {
		git_config_foreach(cfg, insteadof_cb, &io);
		git_config_free(cfg);
	}
	git_error_clear();
	return io.best ? io.best : nd_strdup(url);
}

/*
 * git_clone, by hand: an empty repository, an in-memory remote, one fetch
 * of every branch (as refs/remotes/origin/<name>) and tag. Written out
 * because git_clone in libgit2 1.5 leaks through its insteadOf lookup
 * (above), which git_remote_create_with_opts lets us skip.
 */
static int fetch_all(git_repository **repo_out, char **head_out,
		     const char *url, const char *dir, struct clone_ctx *c)
{
	git_repository_init_options io;
	git_remote_create_options ro;
	git_remote_callbacks cb;
	git_fetch_options fo;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_buf head = GIT_BUF_INIT;
	char spec[] = "+refs/heads/*:refs/remotes/origin/*";
	char *specs[] = { spec };
	git_strarray refspecs = { specs, 1 };
	int r;

	git_repository_init_options_init(&io,
					 GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	cb.credentials = cred_cb;
	cb.certificate_check = cert_cb;
	cb.transfer_progress = progress_cb;
	cb.payload = c;
	fo.callbacks = cb;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	if ((r = git_repository_init_ext(&repo, dir, &io)) < 0)
		goto done;
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		   GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if ((r = git_remote_create_with_opts(&remote, url, &ro)) < 0 ||
	    (r = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL,
				    NULL)) < 0)
		goto done;
	if (git_remote_default_branch(&head, remote) == 0)
		*head_out = nd_strndup(head.ptr, head.size);
	git_error_clear();
	if ((r = git_remote_download(remote, &refspecs, &fo)) < 0 ||
	    (r = git_remote_update_tips(
		     remote, &cb, 0, GIT_REMOTE_DOWNLOAD_TAGS_ALL, NULL)) < 0)
		goto done;
	*repo_out = repo;
	repo = NULL;
done:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	git_repository_free(repo);
	git_buf_dispose(&head);
	return r;
}

static int clone_git(struct nd_source *s, const struct nd_project *p,
		     const struct nd_source_opts *o, struct nd_error *err)
{
	git_checkout_options ck;
	git_repository *repo = NULL;
	git_object *commit = NULL;
	struct clone_ctx c = { 0 };
	const char *tmp = getenv("TMPDIR");
	char *url = NULL, *tmpl = NULL, *shown = NULL, *head = NULL;
	bool local;
	int r;

	git_checkout_options_init(&ck, GIT_CHECKOUT_OPTIONS_VERSION);
	if ((r = git_location(&url, &local, p, err)) < 0)
		return r;
	shown = nd_url_strip_credentials(url);
	if (p->source.token_env) {
		c.token = getenv(p->source.token_env);
		if (!c.token || !*c.token) {
			r = nd_project_error(
				p, err, "source.token_env",
				"source.token_env names '%s', which is not set",
				p->source.token_env);
			goto done;
		}
	}
	if (!local && (nd_starts_with(url, "ssh://") || !strstr(url, "://")) &&
	    !(git_libgit2_features() & GIT_FEATURE_SSH)) {
		r = nd_error_set(
			err, ND_EUNSUPPORTED,
			"cannot clone '%s': this libgit2 has no ssh support",
			shown);
		goto done;
	}
	tmpl = nd_xprintf("%s/nextdeploy-src-XXXXXX",
			  tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		r = nd_error_errno(err, ND_EGENERIC,
				   "cannot make a folder for the clone in '%s'",
				   tmp && *tmp ? tmp : "/tmp");
		goto done;
	}
	s->tmpdir = nd_strdup(tmpl);
	nd_cleanup_add_dir(s->tmpdir);
	s->root = realpath(tmpl, NULL);
	if (!s->root)
		s->root = nd_strdup(tmpl);
	s->url = nd_strdup(shown);
	s->ref = nd_strdup_or_null(p->source.ref);

	c.o = o;
	{
		char *rewritten = apply_insteadof(url);

		free(url);
		url = rewritten;
	}
	c.ssh_port = ssh_url_port(url);
	if (fetch_all(&repo, &head, url, s->tmpdir, &c) < 0 && c.hostkey_msg) {
		r = nd_error_set(err, ND_EAUTH, "cannot clone '%s': %s", shown,
				 c.hostkey_msg);
		if (c.hostkey_hint)
			nd_error_hint(err, "%s", c.hostkey_hint);
		goto done;
	} else if (!repo) {
		const git_error *ge = git_error_last();
		bool auth = c.auth_asked ||
			    (ge && ge->message &&
			     (strstr(ge->message, "401") ||
			      strstr(ge->message, "authentication")));

		r = nd_error_set(err, auth ? ND_EAUTH : ND_EGENERIC,
				 "cannot clone '%s': %s", shown, git_msg());
		if (auth)
			nd_error_hint(
				err,
				"for a private https repository set source.token_env to the name of a variable holding a token; for ssh, add your key to ssh-agent");
		goto done;
	}
	if (resolve_ref(&commit, repo, p->source.ref, head) < 0) {
		if (p->source.ref)
			r = nd_project_error(
				p, err, "source.ref",
				"'%s' has no branch, tag or commit '%s'", shown,
				p->source.ref);
		else
			r = nd_error_set(err, ND_ENOTFOUND,
					 "'%s' has no commits", shown);
		if (err)
			err->code = r = ND_ENOTFOUND;
		goto done;
	}
	ck.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_checkout_tree(repo, commit, &ck) < 0 ||
	    git_repository_set_head_detached(repo, git_object_id(commit)) < 0) {
		r = nd_error_set(err, ND_EGENERIC, "cannot check out '%s': %s",
				 p->source.ref ? p->source.ref : "HEAD",
				 git_msg());
		goto done;
	}
	r = commit_ids(s, commit, err);
done:
	git_object_free(commit);
	git_repository_free(repo);
	git_error_clear();
	free(url);
	free(tmpl);
	free(shown);
	free(head);
	free(c.hostkey_msg);
	free(c.hostkey_hint);
	return r;
}

int nd_source_prepare(struct nd_source **out, const struct nd_project *p,
		      const struct nd_source_opts *o, struct nd_error *err)
{
	struct nd_source *s = nd_calloc(1, sizeof(*s));
	int r;

	git_libgit2_init();
	s->kind = p->source.git ? ND_SOURCE_GIT : ND_SOURCE_PATH;
	r = s->kind == ND_SOURCE_GIT ? clone_git(s, p, o, err) :
				       open_path(s, p, err);
	if (r < 0)
		goto fail;
	if (p->source.subdir) {
		char *d = nd_xprintf("%s/%s", s->root, p->source.subdir);
		char *real = realpath(d, NULL);
		size_t n = strlen(s->root);

		free(d);
		if (!real || !is_dir(real) ||
		    (strncmp(real, s->root, n) || (real[n] && real[n] != '/'))) {
			r = nd_project_error(
				p, err, "source.subdir",
				"'%s' is not a folder of the source",
				p->source.subdir);
			free(real);
			goto fail;
		}
		s->dir = real;
	} else {
		s->dir = nd_strdup(s->root);
	}
	if (s->kind == ND_SOURCE_PATH && (r = path_git_info(s, err)) < 0)
		goto fail;
	git_libgit2_shutdown();
	*out = s;
	return 0;
fail:
	nd_source_free(s);
	git_libgit2_shutdown();
	return r;
}
