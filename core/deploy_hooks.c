/* SPDX-License-Identifier: MIT */
#include "core/common.h"
#include "core/deploy_hooks.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* environ plus env (env wins), as a NULL-terminated array of "K=V". */
static char **make_env(const struct nd_kvlist *env)
{
	size_t n = 0, k = 0;
	char **out;

	while (environ && environ[n])
		n++;
	out = nd_calloc(n + env->nr + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t klen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool replaced = false;

		for (size_t j = 0; j < env->nr; j++)
			if (strlen(env->items[j].key) == klen &&
			    !strncmp(env->items[j].key, environ[i], klen))
				replaced = true;
		if (!replaced)
			out[k++] = nd_strdup(environ[i]);
	}
	for (size_t j = 0; j < env->nr; j++)
		out[k++] = nd_xprintf("%s=%s", env->items[j].key,
				      env->items[j].value);
	out[k] = NULL;
	return out;
}

static void free_env(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

int nd_deploy_hook_run(enum nd_hook_status *status_out, const char *dir,
		       const char *name, const struct nd_kvlist *env,
		       struct nd_error *err)
{
	char *path = nd_xprintf("%s/.nextdeploy/hooks/%s", dir, name);
	char **envp = NULL;
	struct stat st;
	int pipefd[2] = { -1, -1 };
	int r = 0, wstatus;
	pid_t pid;
	ssize_t n;
	int child_errno = 0;

	*status_out = ND_HOOK_ABSENT;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		goto done;
	if (access(path, X_OK) < 0) {
		*status_out = ND_HOOK_NOT_EXECUTABLE;
		goto done;
	}
	*status_out = ND_HOOK_RAN;
	envp = make_env(env);
	/* a close-on-exec pipe tells us whether exec itself failed */
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = nd_error_errno(err, ND_EGENERIC, "cannot run the %s hook", name);
		goto done;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = nd_error_errno(err, ND_EGENERIC, "cannot run the %s hook", name);
		goto done;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		char *const argv[] = { path, NULL };

		close(pipefd[0]);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			close(devnull);
		}
		dup2(STDERR_FILENO, STDOUT_FILENO);
		signal(SIGPIPE, SIG_DFL);
		if (chdir(dir) == 0)
			execve(path, argv, envp);
		child_errno = errno;
		if (write(pipefd[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	do
		n = read(pipefd[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			r = nd_error_errno(err, ND_EGENERIC,
					   "waiting for the %s hook", name);
			goto done;
		}
	}
	if (n == (ssize_t)sizeof(child_errno)) {
		errno = child_errno;
		r = nd_error_errno(err, ND_EGENERIC, "cannot run the %s hook '%s'",
				   name, path);
		goto done;
	}
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
		goto done;
	if (WIFEXITED(wstatus)) {
		r = nd_error_set(err, ND_EGENERIC,
				 "the %s hook exited with status %d", name,
				 WEXITSTATUS(wstatus));
		err->status = WEXITSTATUS(wstatus);
	} else {
		r = nd_error_set(err, ND_EGENERIC,
				 "the %s hook was killed by signal %d", name,
				 WTERMSIG(wstatus));
		err->status = 128 + WTERMSIG(wstatus);
	}
	nd_error_hint(err, "the hook is %s", path);
done:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	free_env(envp);
	free(path);
	return r;
}
