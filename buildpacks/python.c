/* SPDX-License-Identifier: MIT */
/*
 * Python: requirements.txt (pip), pyproject.toml with uv.lock (uv),
 * poetry.lock or [tool.poetry] (poetry) or neither (pip install .),
 * Pipfile (pipenv); setup.py, main.py, app.py or manage.py alone too.
 *  - version: .python-version, runtime.txt, Pipfile [requires],
 *    pyproject requires-python (a range becomes the newest minor it
 *    allows up to the default 3.12); default 3.12.
 *  - start: build.start, Procfile web:, Django (gunicorn PROJECT.wsgi, or
 *    runserver without gunicorn), an `app` object in main/app/wsgi/server
 *    .py served by uvicorn (FastAPI, or uvicorn listed) or gunicorn (when
 *    listed), then python main.py / app.py, then pyproject
 *    [project.scripts].
 * Dependencies go into a virtualenv (/opt/venv) in the full python image
 * (compilers for wheels that need them); the runtime is the slim image
 * with the venv and the app, and `python` on PATH is the health probe.
 */
#include "core/common.h"
#include "buildpacks/bp.h"
#include "core/project.h"

#include <ctype.h>
#include <dirent.h>

#define PY_DEFAULT_MINOR 12
#define POETRY_DEFAULT "1.8.3"
#define UV_DEFAULT "0.5.11"
#define PIPENV_DEFAULT "2024.4.0"

bool nd_bp_python_detect(struct nd_bp *bp)
{
	static const char *const files[] = {
		"requirements.txt", "pyproject.toml", "Pipfile",   "setup.py",
		"main.py",	    "app.py",	      "manage.py",
	};
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(files); i++)
		if (nd_bp_file(bp, files[i]))
			return true;
	return false;
}

/* "3.12.1", "3.12", "python-3.12.1", "cpython-3.12" -> "3.12.1" / "3.12" */
static char *plain_version(const char *s)
{
	const char *p = s;
	size_t n;

	if (!strncasecmp(p, "python-", 7))
		p += 7;
	else if (!strncasecmp(p, "cpython-", 8))
		p += 8;
	else if (!strncasecmp(p, "python", 6))
		p += 6;
	n = strspn(p, "0123456789.");
	if (!n || p[n] || p[n - 1] == '.' || !isdigit((unsigned char)*p))
		return NULL;
	return nd_strndup(p, n);
}

/*
 * A PEP 440 specifier ("==3.11.*", ">=3.9,<3.13", "~=3.11", "^3.11" from
 * poetry) -> the version to use. Only 3.x is considered.
 */
static char *version_from_spec(const char *spec)
{
	long lo = 0, hi = 99; /* minors of 3.x, inclusive */
	const char *p = spec;

	while (*p) {
		char op[3] = { 0 };
		long maj, min = -1, patch = -1;
		char *end;
		size_t k = 0;

		while (*p == ' ' || *p == ',')
			p++;
		while (k < 2 && strchr("<>=!~^", *p) && *p)
			op[k++] = *p++;
		while (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		maj = strtol(p, &end, 10);
		p = end;
		if (*p == '.' && isdigit((unsigned char)p[1])) {
			min = strtol(p + 1, &end, 10);
			p = end;
			if (*p == '.' && isdigit((unsigned char)p[1])) {
				patch = strtol(p + 1, &end, 10);
				p = end;
			}
		}
		if (*p == '.' && p[1] == '*')
			p += 2;
		while (*p && *p != ',')
			p++;
		if (maj != 3) {
			if ((op[0] == '>' && maj > 3) ||
			    (op[0] == '<' && maj < 3) ||
			    (op[0] == '=' && maj != 3))
				return NULL;
			continue;
		}
		if (min < 0)
			min = 0;
		if (!strcmp(op, "==") || !strcmp(op, "===") || !op[0]) {
			if (patch >= 0)
				return nd_xprintf("3.%ld.%ld", min, patch);
			lo = hi = min;
		} else if (!strcmp(op, ">=") || !strcmp(op, "~=") ||
			   !strcmp(op, "^")) {
			if (min > lo)
				lo = min;
			if (!strcmp(op, "~=") && patch >= 0 && min < hi)
				hi = min;
		} else if (!strcmp(op, ">")) {
			if (min + (patch < 0) > lo)
				lo = min + (patch < 0);
		} else if (!strcmp(op, "<=")) {
			if (min < hi)
				hi = min;
		} else if (!strcmp(op, "<")) {
			long h = patch > 0 ? min : min - 1;

			if (h < hi)
				hi = h;
		} else if (!strcmp(op, "!=")) {
			continue;
		} else if (!strcmp(op, "~")) { /* poetry ~3.11 */
			if (min > lo)
				lo = min;
			if (min < hi)
				hi = min;
		} else {
			return NULL;
		}
	}
	if (lo > hi)
		return NULL;
	if (lo <= PY_DEFAULT_MINOR && hi >= PY_DEFAULT_MINOR)
		return nd_xprintf("3.%d", PY_DEFAULT_MINOR);
	return nd_xprintf("3.%ld", hi < PY_DEFAULT_MINOR ? hi : lo);
}

struct py_ctx {
	char *pyproject;
	char *deps; /* lowercased text of the dependency files */
	const char *pm;
	const char *pm_file;
	char *tool_version;
	bool req_full_copy;
	int req_lines;
};

static bool uses(const struct py_ctx *c, const char *dep)
{
	const char *p = c->deps;
	size_t n = strlen(dep);

	while (p && (p = strstr(p, dep))) {
		bool start = p == c->deps || !(isalnum((unsigned char)p[-1]) ||
					       p[-1] == '-' || p[-1] == '_');
		bool end = !(isalnum((unsigned char)p[n]) || p[n] == '-' ||
			     p[n] == '_');

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

static void read_deps(struct nd_bp *bp, struct py_ctx *c)
{
	static const char *const files[] = { "requirements.txt",
					     "pyproject.toml", "Pipfile",
					     "setup.py" };
	struct nd_buf b = ND_BUF_INIT;
	size_t i, k;

	for (i = 0; i < ND_ARRAY_SIZE(files); i++) {
		struct nd_error e = ND_ERROR_INIT;
		char *t = NULL;

		if (!nd_bp_file(bp, files[i]) ||
		    nd_bp_read(&t, bp, files[i], &e) < 0) {
			nd_error_release(&e);
			continue;
		}
		if (i == 0) {
			const char *p = t;

			while (*p) {
				const char *l = p;

				p += strcspn(p, "\n");
				if (*p)
					p++;
				while (*l == ' ' || *l == '\t')
					l++;
				if (*l == '#' || *l == '\n' || *l == '\r' || !*l)
					continue;
				c->req_lines++;
				if (*l == '-' || !strncmp(l, "./", 2) ||
				    !strncmp(l, "file:", 5) || *l == '.')
					c->req_full_copy = true;
			}
		}
		for (k = 0; t[k]; k++)
			t[k] = (char)tolower((unsigned char)t[k]);
		nd_buf_adds(&b, t);
		nd_buf_addch(&b, '\n');
		free(t);
	}
	c->deps = nd_buf_detach(&b, NULL);
}

static int pick_version(struct nd_bp *bp, struct py_ctx *c, char **out,
			struct nd_error *err)
{
	char *line, *v = NULL, *raw = NULL;
	const char *file = NULL;

	if ((line = nd_bp_read_line(bp, ".python-version"))) {
		file = ".python-version";
		raw = line;
		v = plain_version(line);
	} else if ((line = nd_bp_read_line(bp, "runtime.txt"))) {
		file = "runtime.txt";
		raw = line;
		v = plain_version(line);
	} else if (nd_bp_file(bp, "Pipfile")) {
		char *t = NULL;
		struct nd_error e = ND_ERROR_INIT;

		if (nd_bp_read(&t, bp, "Pipfile", &e) == 0) {
			raw = nd_toml_get(t, "requires", "python_full_version");
			if (!raw)
				raw = nd_toml_get(t, "requires",
						  "python_version");
			if (raw) {
				file = "Pipfile ([requires])";
				v = plain_version(raw);
			}
		}
		nd_error_release(&e);
		free(t);
	}
	if (!file && c->pyproject) {
		raw = nd_toml_get(c->pyproject, "project", "requires-python");
		if (raw)
			file = "pyproject.toml (requires-python)";
		else if ((raw = nd_toml_get(c->pyproject,
					    "tool.poetry.dependencies",
					    "python")))
			file = "pyproject.toml (tool.poetry.dependencies.python)";
		if (raw)
			v = version_from_spec(raw);
	}
	if (file && !v) {
		int r = nd_bp_error(
			bp, err, NULL, file,
			"cannot read the python version '%s' (expected e.g. 3.12.1, 3.12 or >=3.11)",
			raw);
		free(raw);
		return r;
	}
	if (!v) {
		v = nd_xprintf("3.%d", PY_DEFAULT_MINOR);
		nd_plan_reason(bp->plan, "python version", v, NULL);
	} else if (raw && strcmp(raw, v) && strncmp(file, ".python", 7) &&
		   strncmp(file, "runtime", 7)) {
		char *what = nd_xprintf("%s (from '%s')", v, raw);

		nd_plan_reason(bp->plan, "python version", what, file);
		free(what);
	} else {
		nd_plan_reason(bp->plan, "python version", v, file);
	}
	free(raw);
	if (!nd_bp_version_ok(v)) {
		free(v);
		return nd_bp_error(bp, err, NULL, file,
				   "cannot use this python version");
	}
	*out = v;
	return 0;
}

/* The project folder of a Django app: the one holding wsgi.py. */
static char *django_project(struct nd_bp *bp)
{
	DIR *d = opendir(bp->dir);
	struct dirent *e;
	char *found = NULL;

	if (!d)
		return NULL;
	while (!found && (e = readdir(d))) {
		char *f;

		if (e->d_name[0] == '.')
			continue;
		f = nd_xprintf("%s/wsgi.py", e->d_name);
		if (nd_bp_file(bp, f) && nd_bp_path_ok(e->d_name))
			found = nd_strdup(e->d_name);
		free(f);
	}
	closedir(d);
	return found;
}

/* A module (main, app...) that defines `app = ...` at the top level. */
static const char *app_module(struct nd_bp *bp, const char **file)
{
	static const char *const mods[] = { "main",   "app",	     "wsgi",
					    "server", "application", "asgi" };
	size_t i;

	for (i = 0; i < ND_ARRAY_SIZE(mods); i++) {
		char *f = nd_xprintf("%s.py", mods[i]);
		char *t = NULL;
		struct nd_error e = ND_ERROR_INIT;
		bool hit = false;

		if (nd_bp_file(bp, f) && nd_bp_read(&t, bp, f, &e) == 0)
			hit = !strncmp(t, "app =", 5) ||
			      !strncmp(t, "app=", 4) || strstr(t, "\napp =") ||
			      strstr(t, "\napp=") || strstr(t, "\napp: ");
		nd_error_release(&e);
		free(t);
		free(f);
		if (hit) {
			static const char *const files[] = {
				"main.py",   "app.py",	       "wsgi.py",
				"server.py", "application.py", "asgi.py",
			};

			*file = files[i];
			return mods[i];
		}
	}
	return NULL;
}

static char *detect_start(struct nd_bp *bp, struct py_ctx *c, const char **file)
{
	const char *mod, *mod_file;
	char *proj;

	if (nd_bp_file(bp, "manage.py") && uses(c, "django")) {
		nd_str_replace(&bp->plan->framework, "django");
		nd_plan_reason(bp->plan, "framework", "django", "manage.py");
		proj = django_project(bp);
		if (proj && uses(c, "gunicorn")) {
			char *s = nd_xprintf(
				"gunicorn %s.wsgi --bind 0.0.0.0:$PORT", proj);

			free(proj);
			*file = "manage.py + gunicorn in the dependencies";
			return s;
		}
		free(proj);
		nd_bp_warn(
			bp,
			"Django's development server will run: add gunicorn to the dependencies for production");
		*file = "manage.py";
		return nd_strdup("python manage.py runserver 0.0.0.0:$PORT");
	}
	mod = app_module(bp, &mod_file);
	if (mod) {
		if (uses(c, "fastapi")) {
			nd_str_replace(&bp->plan->framework, "fastapi");
			nd_plan_reason(bp->plan, "framework", "fastapi",
				       c->pm_file);
		} else if (uses(c, "flask")) {
			nd_str_replace(&bp->plan->framework, "flask");
			nd_plan_reason(bp->plan, "framework", "flask",
				       c->pm_file);
		}
		if (uses(c, "uvicorn") || uses(c, "fastapi")) {
			if (!uses(c, "uvicorn"))
				nd_bp_warn(
					bp,
					"FastAPI app: uvicorn must be in the dependencies");
			*file = mod_file;
			return nd_xprintf(
				"uvicorn %s:app --host 0.0.0.0 --port $PORT",
				mod);
		}
		if (uses(c, "gunicorn")) {
			*file = mod_file;
			return nd_xprintf(
				"gunicorn %s:app --bind 0.0.0.0:$PORT", mod);
		}
	}
	if (nd_bp_file(bp, "main.py")) {
		*file = "main.py";
		return nd_strdup("python main.py");
	}
	if (nd_bp_file(bp, "app.py")) {
		*file = "app.py";
		return nd_strdup("python app.py");
	}
	if (c->pyproject) {
		const char *p = strstr(c->pyproject, "[project.scripts]");

		if (p) {
			const char *l = p + strlen("[project.scripts]");
			size_t n;

			l += strspn(l, " \t\r\n");
			n = strcspn(l, " =\t\r\n");
			if (n && *l != '[') {
				char *name = nd_strndup(l, n);

				if (nd_bp_path_ok(name) && !strchr(name, '/')) {
					*file = "pyproject.toml ([project.scripts])";
					return name;
				}
				free(name);
			}
		}
	}
	return NULL;
}

/* "# This file is automatically @generated by Poetry 1.8.2 and ..." */
static char *poetry_version(struct nd_bp *bp)
{
	struct nd_error e = ND_ERROR_INIT;
	char *text = NULL, *p, *v = NULL;

	if (nd_bp_read(&text, bp, "poetry.lock", &e) < 0) {
		nd_error_release(&e);
		return NULL;
	}
	p = strstr(text, "by Poetry ");
	if (p && p < text + strcspn(text, "\n")) {
		p += 10;
		v = nd_strndup(p, strspn(p, "0123456789."));
		if (!*v || !nd_bp_version_ok(v)) {
			free(v);
			v = NULL;
		}
	}
	free(text);
	return v;
}

int nd_bp_python_plan(struct nd_bp *bp, struct nd_error *err)
{
	struct nd_plan *plan = bp->plan;
	struct py_ctx c;
	struct nd_buf b = ND_BUF_INIT;
	char *ver = NULL, *start = NULL, *base = NULL, *runtime = NULL;
	char *install = NULL;
	const char *start_file = NULL;
	int r = 0;

	memset(&c, 0, sizeof(c));
	if (nd_bp_file(bp, "pyproject.toml") &&
	    (r = nd_bp_read(&c.pyproject, bp, "pyproject.toml", err)) < 0)
		return r;
	plan->buildpack = ND_BP_NIXPACKS;
	nd_str_replace(&plan->kind, "python");
	nd_str_replace(&plan->language, "python");
	read_deps(bp, &c);
	if (c.pyproject) {
		char *name = nd_toml_get(c.pyproject, "project", "name");

		if (!name)
			name = nd_toml_get(c.pyproject, "tool.poetry", "name");
		nd_str_replace(&plan->name_hint, name);
		free(name);
	}

	/* package manager and install */
	if (nd_bp_file(bp, "requirements.txt")) {
		c.pm = "pip";
		c.pm_file = "requirements.txt";
		if (c.req_lines)
			install = nd_strdup("pip install -r requirements.txt");
	} else if (c.pyproject && nd_bp_file(bp, "uv.lock")) {
		c.pm = "uv";
		c.pm_file = "uv.lock";
		install = nd_strdup(
			"uv sync --frozen --no-dev --no-install-project");
	} else if (c.pyproject &&
		   (nd_bp_file(bp, "poetry.lock") ||
		    nd_toml_has_table(c.pyproject, "tool.poetry"))) {
		c.pm = "poetry";
		c.pm_file = nd_bp_file(bp, "poetry.lock") ? "poetry.lock" :
							    "pyproject.toml";
		c.tool_version = poetry_version(bp);
		if (!nd_bp_file(bp, "poetry.lock"))
			nd_bp_warn(
				bp,
				"no poetry.lock: dependency versions are not pinned (commit it)");
		install = nd_strdup(
			"poetry install --only main --no-root --no-interaction --no-ansi");
	} else if (nd_bp_file(bp, "Pipfile")) {
		c.pm = "pipenv";
		c.pm_file = "Pipfile";
		if (!nd_bp_file(bp, "Pipfile.lock"))
			nd_bp_warn(
				bp,
				"no Pipfile.lock: dependency versions are not pinned (commit it)");
		install = nd_strdup(
			"pipenv requirements >/tmp/requirements.txt && pip install -r /tmp/requirements.txt");
	} else if (c.pyproject || nd_bp_file(bp, "setup.py")) {
		c.pm = "pip";
		c.pm_file = c.pyproject ? "pyproject.toml" : "setup.py";
		install = nd_strdup("pip install .");
	}
	nd_plan_reason(plan, "language", "python",
		       c.pm_file		 ? c.pm_file :
		       nd_bp_file(bp, "main.py") ? "main.py" :
		       nd_bp_file(bp, "app.py")	 ? "app.py" :
						   "manage.py");
	if (c.pm) {
		nd_str_replace(&plan->package_manager, c.pm);
		nd_plan_reason(plan, "package manager", c.pm, c.pm_file);
	}
	if ((r = pick_version(bp, &c, &ver, err)) < 0)
		goto done;
	nd_str_replace(&plan->language_version, ver);
	nd_bp_version(bp, "python", ver);
	if (nd_streq(c.pm, "poetry")) {
		if (!c.tool_version)
			c.tool_version = nd_strdup(POETRY_DEFAULT);
		nd_bp_version(bp, "poetry", c.tool_version);
		if (c.tool_version[0] == '1' && c.tool_version[1] == '.' &&
		    atoi(c.tool_version + 2) < 2) /* --only came with 1.2 */
			nd_str_replace(
				&install,
				"poetry install --no-dev --no-root --no-interaction --no-ansi");
	} else if (nd_streq(c.pm, "uv")) {
		c.tool_version = nd_strdup(UV_DEFAULT);
		nd_bp_version(bp, "uv", c.tool_version);
	} else if (nd_streq(c.pm, "pipenv")) {
		c.tool_version = nd_strdup(PIPENV_DEFAULT);
		nd_bp_version(bp, "pipenv", c.tool_version);
	}
	r = nd_bp_set_cmd(bp, &plan->install_cmd, "build.install", "install",
			  install, c.pm_file, &bp->install_user, err);
	if (r < 0)
		goto done;
	if (!plan->install_cmd && nd_streq(c.pm_file, "requirements.txt") &&
	    !bp->install_user)
		nd_plan_reason(plan, "install",
			       "(none: requirements.txt lists no packages)",
			       "requirements.txt");
	r = nd_bp_set_cmd(bp, &plan->build_cmd, "build.command", "build", NULL,
			  NULL, &bp->build_user, err);
	if (r < 0)
		goto done;
	start = detect_start(bp, &c, &start_file);
	if ((r = nd_bp_set_start(bp, start, start_file, err)) < 0) {
		if (r == ND_ENOTFOUND)
			nd_error_hint(
				err,
				"add main.py, a Procfile 'web:' line, or build.start");
		goto done;
	}
	nd_bp_port(bp, 8000, NULL, NULL);
	base = nd_xprintf("python:%s-bookworm", ver);
	runtime = nd_xprintf("python:%s-slim-bookworm", ver);
	if (!nd_image_ref_valid(base)) {
		r = nd_bp_error(bp, err, NULL, NULL, "invalid image '%s'", base);
		goto done;
	}
	nd_bp_images(bp, base, runtime, true, NULL);
	nd_bp_probe(bp, "python", "the venv's python is on PATH");

	nd_df_header(&b, plan);
	nd_buf_addf(&b, "FROM %s AS build\n", plan->base_image);
	nd_buf_adds(&b, "WORKDIR /app\n");
	nd_buf_adds(
		&b,
		"ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \\\n    PIP_NO_CACHE_DIR=1 \\\n    PYTHONDONTWRITEBYTECODE=1\n");
	nd_df_stage_prelude(&b, bp, "build");
	nd_buf_adds(&b, "RUN python3 -m venv /opt/venv\n");
	nd_buf_adds(
		&b,
		"ENV VIRTUAL_ENV=/opt/venv \\\n    PATH=/opt/venv/bin:$PATH\n");
	if (bp->install_user || !plan->install_cmd) {
		nd_buf_adds(&b, "COPY . .\n");
		if (plan->install_cmd)
			nd_df_run(&b, plan->install_cmd, true);
	} else if (!strcmp(c.pm, "uv")) {
		nd_buf_addf(
			&b,
			"RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install uv==%s\n",
			c.tool_version);
		nd_buf_adds(
			&b,
			"ENV UV_PROJECT_ENVIRONMENT=/opt/venv \\\n    UV_PYTHON_DOWNLOADS=never\n");
		nd_buf_adds(&b, "COPY pyproject.toml uv.lock ./\n");
		nd_buf_addf(&b, "RUN /opt/uv/bin/%s\n", plan->install_cmd);
		nd_buf_adds(&b, "COPY . .\n");
	} else if (!strcmp(c.pm, "poetry")) {
		nd_buf_addf(
			&b,
			"RUN python3 -m venv /opt/poetry && /opt/poetry/bin/pip install poetry==%s\n",
			c.tool_version);
		nd_buf_adds(&b, "ENV POETRY_VIRTUALENVS_CREATE=false\n");
		nd_buf_addf(&b, "COPY pyproject.toml%s ./\n",
			    nd_bp_file(bp, "poetry.lock") ? " poetry.lock" : "");
		nd_buf_addf(&b, "RUN /opt/poetry/bin/%s\n", plan->install_cmd);
		nd_buf_adds(&b, "COPY . .\n");
	} else if (!strcmp(c.pm, "pipenv")) {
		nd_buf_addf(
			&b,
			"RUN python3 -m venv /opt/pipenv && /opt/pipenv/bin/pip install pipenv==%s\n",
			c.tool_version);
		nd_buf_addf(&b, "COPY Pipfile%s ./\n",
			    nd_bp_file(bp, "Pipfile.lock") ? " Pipfile.lock" :
							     "");
		nd_buf_addf(&b, "RUN /opt/pipenv/bin/%s\n", plan->install_cmd);
		nd_buf_adds(&b, "COPY . .\n");
	} else if (!strcmp(plan->install_cmd, "pip install .") ||
		   c.req_full_copy) {
		nd_buf_adds(&b, "COPY . .\n");
		nd_buf_addf(&b, "RUN %s\n", plan->install_cmd);
	} else {
		nd_buf_adds(&b, "COPY requirements.txt ./\n");
		nd_buf_addf(&b, "RUN %s\n", plan->install_cmd);
		nd_buf_adds(&b, "COPY . .\n");
	}
	if (plan->build_cmd)
		nd_df_run(&b, plan->build_cmd, bp->build_user);
	nd_buf_adds(&b, "\n");
	nd_buf_addf(&b, "FROM %s AS runtime\n", plan->runtime_image);
	nd_buf_adds(&b, "WORKDIR /app\n");
	nd_buf_adds(
		&b,
		"ENV PYTHONUNBUFFERED=1 \\\n    PYTHONDONTWRITEBYTECODE=1 \\\n    VIRTUAL_ENV=/opt/venv \\\n    PATH=/opt/venv/bin:$PATH\n");
	nd_buf_adds(&b, "COPY --from=build /opt/venv /opt/venv\n");
	nd_buf_adds(&b, "COPY --from=build /app ./\n");
	nd_df_runtime_tail(&b, plan);
	plan->dockerfile = nd_buf_detach(&b, NULL);
done:
	nd_buf_release(&b);
	free(c.pyproject);
	free(c.deps);
	free(c.tool_version);
	free(ver);
	free(start);
	free(base);
	free(runtime);
	free(install);
	return r;
}
