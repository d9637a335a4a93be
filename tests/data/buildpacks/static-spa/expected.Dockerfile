# Synthesized by nextdeploy (static). 'nextdeploy plan' says why.
FROM nginx:1.27-alpine AS site
LABEL nextdeploy.managed="true" nextdeploy.app="golden" nextdeploy.stage="site"
COPY public /site
RUN chmod -R a+rX /site
RUN ["/bin/sh", "-c", "mkdir -p /nd && printf '%s\\n' \"$@\" >/nd/nginx.conf", "sh", \
     "# nginx for a static site, written by nextdeploy", \
     "worker_processes auto;", \
     "pid /tmp/nginx.pid;", \
     "error_log /dev/stderr warn;", \
     "daemon off;", \
     "events {", \
     "    worker_connections 1024;", \
     "}", \
     "http {", \
     "    include /etc/nginx/mime.types;", \
     "    default_type application/octet-stream;", \
     "    access_log /dev/stdout;", \
     "    client_body_temp_path /tmp/nginx-client-body;", \
     "    proxy_temp_path /tmp/nginx-proxy;", \
     "    fastcgi_temp_path /tmp/nginx-fastcgi;", \
     "    uwsgi_temp_path /tmp/nginx-uwsgi;", \
     "    scgi_temp_path /tmp/nginx-scgi;", \
     "    sendfile on;", \
     "    tcp_nopush on;", \
     "    keepalive_timeout 65;", \
     "    server_tokens off;", \
     "    gzip on;", \
     "    gzip_vary on;", \
     "    gzip_comp_level 5;", \
     "    gzip_min_length 256;", \
     "    gzip_types text/plain text/css text/xml text/javascript application/javascript application/json application/xml application/wasm image/svg+xml;", \
     "    server {", \
     "        listen 8080;", \
     "        root /srv/site;", \
     "        index index.html;", \
     "        absolute_redirect off;", \
     "        location ^~ /.well-known/ {", \
     "            try_files $uri =404;", \
     "        }", \
     "        location ~ /\\. {", \
     "            return 404;", \
     "        }", \
     "        location / {", \
     "            try_files $uri $uri/ /index.html;", \
     "        }", \
     "        location = /index.html {", \
     "            add_header Cache-Control \"no-cache\";", \
     "        }", \
     "    }", \
     "}"]

FROM nginx:1.27-alpine AS runtime
COPY --from=site /site /srv/site
COPY --from=site /nd/nginx.conf /etc/nginx/nextdeploy.conf
USER 10001:10001
ENV PORT=8080
EXPOSE 8080
CMD ["nginx", "-c", "/etc/nginx/nextdeploy.conf", "-e", "/dev/stderr"]
