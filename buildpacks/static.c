/* SPDX-License-Identifier: MIT */
/*
 * Static sites, served by nginx as a non-root user on port 8080.
 *
 * Detected by a Staticfile, an index.html, or public/index.html (and, from
 * node.c, a package.json whose build makes the site). The folder served:
 * Staticfile root:, else build.output_dir, else "." when index.html is
 * there, else public/. The nginx configuration is written by the
 * Dockerfile itself (each line an argument of printf, never parsed by a
 * shell) so the build context needs nothing extra:
 *  - unknown paths: 404 with /404.html when the site has one, or
 *    /index.html for single-page apps (Staticfile pushstate: enabled, and
 *    Vite / CRA / Astro builds);
 *  - gzip on unless the Staticfile says gzip: off; Staticfile
 *    status_codes as error_page; directory: visible as autoindex;
 *  - hidden files (.git, .env) are never served, nor nextdeploy.yml,
 *    Staticfile or Procfile (removed from the site when it is ".").
 */
#include "core/common.h"
#include "buildpacks/bp.h"
#include "core/project.h"

#define STATIC_RUNTIME "nginx:1.27-alpine"
#define SITE_DIR "/srv/site"
#define CONF_PATH "/etc/nginx/nextdeploy.conf"

bool nd_bp_static_detect(struct nd_bp *bp)
{
	return nd_bp_file(bp, "Staticfile") || nd_bp_file(bp, "index.html") ||
	       nd_bp_file(bp, "public/index.html");
}

static void conf_lines(struct nd_strvec *v, const struct nd_plan *plan,
		       const struct nd_bp_staticfile *sf)
{
	size_t i;
	bool has404 = false;

	nd_strvec_push(v, "# nginx for a static site, written by nextdeploy");
	nd_strvec_push(v, "worker_processes auto;");
	nd_strvec_push(v, "pid /tmp/nginx.pid;");
	nd_strvec_push(v, "error_log /dev/stderr warn;");
	nd_strvec_push(v, "daemon off;");
	nd_strvec_push(v, "events {");
	nd_strvec_push(v, "    worker_connections 1024;");
	nd_strvec_push(v, "}");
	nd_strvec_push(v, "http {");
	nd_strvec_push(v, "    include /etc/nginx/mime.types;");
	nd_strvec_push(v, "    default_type application/octet-stream;");
	nd_strvec_push(v, "    access_log /dev/stdout;");
	nd_strvec_push(v, "    client_body_temp_path /tmp/nginx-client-body;");
	nd_strvec_push(v, "    proxy_temp_path /tmp/nginx-proxy;");
	nd_strvec_push(v, "    fastcgi_temp_path /tmp/nginx-fastcgi;");
	nd_strvec_push(v, "    uwsgi_temp_path /tmp/nginx-uwsgi;");
	nd_strvec_push(v, "    scgi_temp_path /tmp/nginx-scgi;");
	nd_strvec_push(v, "    sendfile on;");
	nd_strvec_push(v, "    tcp_nopush on;");
	nd_strvec_push(v, "    keepalive_timeout 65;");
	nd_strvec_push(v, "    server_tokens off;");
	if (sf->gzip) {
		nd_strvec_push(v, "    gzip on;");
		nd_strvec_push(v, "    gzip_vary on;");
		nd_strvec_push(v, "    gzip_comp_level 5;");
		nd_strvec_push(v, "    gzip_min_length 256;");
		nd_strvec_push(
			v,
			"    gzip_types text/plain text/css text/xml text/javascript application/javascript application/json application/xml application/wasm image/svg+xml;");
	} else {
		nd_strvec_push(v, "    gzip off;");
	}
	nd_strvec_push(v, "    server {");
	nd_strvec_push_nodup(v, nd_xprintf("        listen %d;", plan->port));
	nd_strvec_push(v, "        root " SITE_DIR ";");
	nd_strvec_push(v, "        index index.html;");
	nd_strvec_push(v, "        absolute_redirect off;");
	for (i = 0; i < sf->status_codes.nr; i++) {
		nd_strvec_push_nodup(
			v, nd_xprintf("        error_page %s %s;",
				      sf->status_codes.items[i].key,
				      sf->status_codes.items[i].value));
		if (!strcmp(sf->status_codes.items[i].key, "404"))
			has404 = true;
	}
	if (!has404 && !plan->spa) /* harmless when the site has none */
		nd_strvec_push(v, "        error_page 404 /404.html;");
	nd_strvec_push(v, "        location ^~ /.well-known/ {");
	nd_strvec_push(v, "            try_files $uri =404;");
	nd_strvec_push(v, "        }");
	nd_strvec_push(v, "        location ~ /\\. {");
	nd_strvec_push(v, "            return 404;");
	nd_strvec_push(v, "        }");
	nd_strvec_push(v, "        location / {");
	if (plan->spa)
		nd_strvec_push(v,
			       "            try_files $uri $uri/ /index.html;");
	else
		nd_strvec_push(v, "            try_files $uri $uri/ =404;");
	if (sf->directory)
		nd_strvec_push(v, "            autoindex on;");
	nd_strvec_push(v, "        }");
	nd_strvec_push(v, "        location = /index.html {");
	nd_strvec_push(v, "            add_header Cache-Control \"no-cache\";");
	nd_strvec_push(v, "        }");
	nd_strvec_push(v, "    }");
	nd_strvec_push(v, "}");
}

int nd_bp_static_plan(struct nd_bp *bp, const char *build_stage,
		      const char *from_dir, struct nd_error *err)
{
	struct nd_plan *plan = bp->plan;
	struct nd_bp_staticfile sf;
	struct nd_strvec lines = ND_STRVEC_INIT;
	struct nd_buf b = ND_BUF_INIT;
	const char *root = NULL, *root_file = NULL, *stage;
	char *text = NULL;
	size_t i;
	int r = 0;

	nd_bp_staticfile_init(&sf);
	if (!plan->kind || strcmp(plan->kind, "static"))
		nd_str_replace(&plan->kind, "static");
	if (!build_stage) {
		plan->buildpack = ND_BP_STATIC;
		nd_plan_reason(
			plan, "kind", "static",
			nd_bp_file(bp, "Staticfile") ? "Staticfile" :
			nd_bp_file(bp, "index.html") ? "index.html" :
			nd_bp_file(bp, "public/index.html") ?
						       "public/index.html" :
						       NULL);
	}
	if (nd_bp_file(bp, "Staticfile")) {
		r = nd_bp_read(&text, bp, "Staticfile", err);
		if (r < 0)
			goto done;
		r = nd_bp_staticfile_parse(&sf, "Staticfile", text, err);
		if (r < 0)
			goto done;
		for (i = 0; i < sf.ignored.nr; i++)
			nd_bp_warn(
				bp,
				"Staticfile: '%s' is not supported and is ignored",
				sf.ignored.items[i]);
		if (sf.pushstate_set) {
			plan->spa = sf.pushstate;
			nd_plan_reason(
				plan, "single-page app",
				sf.pushstate ?
					"yes (unknown paths serve /index.html)" :
					"no",
				"Staticfile (pushstate)");
		}
		if (!sf.gzip)
			nd_plan_reason(plan, "gzip", "off", "Staticfile");
		for (i = 0; i < sf.status_codes.nr; i++) {
			char *what = nd_xprintf("error page %s",
						sf.status_codes.items[i].key);

			nd_plan_reason(plan, what,
				       sf.status_codes.items[i].value,
				       "Staticfile");
			free(what);
		}
	}
	if (build_stage) {
		root = from_dir;
		if (plan->spa && !sf.pushstate_set)
			nd_plan_reason(plan, "single-page app",
				       "yes (unknown paths serve /index.html)",
				       "package.json (framework)");
		if (sf.root) {
			root = sf.root;
			nd_plan_reason(plan, "output folder", root,
				       "Staticfile (root)");
		}
	} else {
		if (sf.root) {
			root = sf.root;
			root_file = "Staticfile (root)";
		} else if (nd_bp_key(bp, "build.output_dir")) {
			root = nd_bp_key(bp, "build.output_dir");
		} else if (nd_bp_file(bp, "index.html")) {
			root = ".";
			root_file = "index.html";
		} else if (nd_bp_file(bp, "public/index.html")) {
			root = "public";
			root_file = "public/index.html";
		} else {
			root = ".";
		}
		if (root_file || !nd_bp_key(bp, "build.output_dir"))
			nd_plan_reason(plan, "site folder", root, root_file);
		else
			nd_bp_reason_key(bp, "site folder", root,
					 "build.output_dir");
		if (strcmp(root, ".") && !nd_bp_dir(bp, root)) {
			r = nd_bp_error(bp, err,
					sf.root ? NULL : "build.output_dir",
					sf.root ? "Staticfile" : NULL,
					"the site folder '%s' does not exist",
					root);
			goto done;
		}
		if (!plan->spa && !nd_bp_key(bp, "build.start")) {
			char *p404 = strcmp(root, ".") ?
					     nd_xprintf("%s/404.html", root) :
					     nd_strdup("404.html");

			if (nd_bp_file(bp, p404) && !sf.status_codes.nr)
				nd_plan_reason(plan, "error page 404",
					       "/404.html", p404);
			free(p404);
		}
	}
	if (strcmp(root, ".") && !nd_bp_path_ok(root)) {
		r = nd_bp_error(bp, err, "build.output_dir", NULL,
				"'%s' is not a usable folder", root);
		goto done;
	}
	nd_str_replace(&plan->output_dir, root);
	if (nd_bp_key(bp, "build.start"))
		nd_bp_warn(
			bp,
			"build.start is not used for a static site (nginx serves it)");
	if (bp->procfile && nd_kvlist_get(&bp->procfile->entries, "web"))
		nd_bp_warn(
			bp,
			"Procfile 'web:' is not used for a static site (nginx serves it)");
	nd_str_replace(&plan->start_cmd,
		       "nginx -c " CONF_PATH " -e /dev/stderr");
	nd_strvec_release(&plan->start_argv);
	nd_strvec_push(&plan->start_argv, "nginx");
	nd_strvec_push(&plan->start_argv, "-c");
	nd_strvec_push(&plan->start_argv, CONF_PATH);
	nd_strvec_push(&plan->start_argv, "-e");
	nd_strvec_push(&plan->start_argv, "/dev/stderr");
	nd_plan_reason(plan, "start", "nginx", NULL);
	nd_bp_port(bp, 8080, NULL, NULL);
	if (build_stage) {
		/* base_image was set by the caller (the build's node) */
		const char *rt = nd_bp_key(bp, "build.runtime_image");

		if (rt) {
			nd_str_replace(&plan->runtime_image, rt);
			nd_bp_reason_key(bp, "runtime image", rt,
					 "build.runtime_image");
			bp->runtime_overridden = true;
		} else {
			nd_str_replace(&plan->runtime_image, STATIC_RUNTIME);
			nd_plan_reason(plan, "runtime image", STATIC_RUNTIME,
				       NULL);
		}
	} else {
		/* no build: the runtime image is the only one */
		nd_bp_images(bp, NULL, STATIC_RUNTIME, false, NULL);
		if (nd_bp_key(bp, "build.base_image"))
			nd_bp_warn(
				bp,
				"build.base_image is not used for a static site without a build (build.runtime_image is the nginx image)");
	}
	nd_bp_probe(bp, "wget", "nginx's alpine image has busybox wget");
	conf_lines(&lines, plan, &sf);

	nd_df_header(&b, plan);
	if (build_stage) {
		nd_buf_adds(&b, build_stage);
		stage = "build";
		nd_df_write_file(&b, "/nd/nginx.conf", &lines);
		nd_buf_adds(&b, "\n");
		nd_buf_addf(&b, "FROM %s AS runtime\n", plan->runtime_image);
		nd_buf_addf(&b, "COPY --from=build /app/%s " SITE_DIR "\n",
			    root);
	} else {
		stage = "site";
		nd_buf_addf(&b, "FROM %s AS site\n", plan->runtime_image);
		nd_df_stage_prelude(&b, bp, "site");
		if (!strcmp(root, ".")) {
			nd_buf_adds(&b, "COPY . /site\n");
			nd_buf_adds(
				&b,
				"RUN cd /site && rm -rf nextdeploy.yml nextdeploy.yaml Staticfile Staticfile.auth Procfile .nextdeploy \\\n && chmod -R a+rX /site\n");
		} else {
			nd_buf_addf(&b, "COPY %s /site\n", root);
			nd_buf_adds(&b, "RUN chmod -R a+rX /site\n");
		}
		nd_df_write_file(&b, "/nd/nginx.conf", &lines);
		nd_buf_adds(&b, "\n");
		nd_buf_addf(&b, "FROM %s AS runtime\n", plan->runtime_image);
		nd_buf_adds(&b, "COPY --from=site /site " SITE_DIR "\n");
	}
	nd_buf_addf(&b, "COPY --from=%s /nd/nginx.conf " CONF_PATH "\n", stage);
	nd_df_runtime_tail(&b, plan);
	plan->dockerfile = nd_buf_detach(&b, NULL);
done:
	nd_buf_release(&b);
	nd_strvec_release(&lines);
	nd_bp_staticfile_release(&sf);
	free(text);
	return r;
}
