/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/hooks.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

char *nd_hook_path(const char *project_dir, const char *name)
{
	return nd_xprintf("%s/.nextdeploy/hooks/%s", project_dir, name);
}

/* environ, minus the variables env sets, plus env and NEXTDEPLOY_HOOK. */
static char **make_env(const char *name, const struct nd_kvlist *env)
{
	size_t n = 0, k = 0, i;
	char **out, **e;

	for (e = environ; *e; e++)
		n++;
	out = nd_calloc(n + (env ? env->nr : 0) + 2, sizeof(*out));
	for (e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t kl = eq ? (size_t)(eq - *e) : strlen(*e);
		bool replaced = !strncmp(*e, "NEXTDEPLOY_HOOK=", 16);

		for (i = 0; env && i < env->nr && !replaced; i++)
			replaced = strlen(env->items[i].key) == kl &&
				   !strncmp(*e, env->items[i].key, kl);
		if (!replaced)
			out[k++] = nd_strdup(*e);
	}
	for (i = 0; env && i < env->nr; i++)
		out[k++] = nd_xprintf(
			"%s=%s", env->items[i].key,
			env->items[i].value ? env->items[i].value : "");
	out[k++] = nd_xprintf("NEXTDEPLOY_HOOK=%s", name);
	return out;
}

int nd_hook_run(enum nd_hook_result *result_out, const char *project_dir,
		const char *name, const char *cwd, const struct nd_kvlist *env,
		struct nd_error *err)
{
	char *path = nd_hook_path(project_dir, name);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	char **envp = NULL, *argv[2];
	struct stat st;
	pid_t pid;
	int status, r = 0, rc;
	size_t i;

	*result_out = ND_HOOK_MISSING;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		goto done;
	if (access(path, X_OK) < 0) {
		*result_out = ND_HOOK_NOT_EXECUTABLE;
		goto done;
	}
	*result_out = ND_HOOK_RAN;
	envp = make_env(name, env);
	argv[0] = path;
	argv[1] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	posix_spawn_file_actions_addchdir_np(&fa, cwd ? cwd : project_dir);
	/* we ignore SIGPIPE (main.c); the hook must not inherit that */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	fflush(NULL);
	rc = posix_spawn(&pid, path, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc) {
		errno = rc;
		r = nd_error_errno(err, ND_EGENERIC,
				   "cannot run the %s hook '%s'", name, path);
		goto done;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			r = nd_error_errno(err, ND_EGENERIC,
					   "waiting for the %s hook", name);
			goto done;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		goto done;
	if (WIFEXITED(status)) {
		r = nd_error_set(err, ND_EGENERIC,
				 "the %s hook failed with exit code %d", name,
				 WEXITSTATUS(status));
		if (err)
			err->status = WEXITSTATUS(status);
	} else {
		r = nd_error_set(err, ND_EGENERIC,
				 "the %s hook was killed by signal %d", name,
				 WTERMSIG(status));
		if (err)
			err->status = 128 + WTERMSIG(status);
	}
	nd_error_hint(err, "the hook is %s", path);
done:
	for (i = 0; envp && envp[i]; i++)
		free(envp[i]);
	free(envp);
	free(path);
	return r;
}
