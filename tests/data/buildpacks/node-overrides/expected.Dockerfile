# Synthesized by nextdeploy (node, npm). 'nextdeploy plan' says why.
FROM registry.example.com/base/node:20 AS build
WORKDIR /app
ENV CI=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
LABEL nextdeploy.managed="true" nextdeploy.app="overrides" nextdeploy.stage="build"
ARG NODE_ENV
ARG SENTRY_RELEASE
COPY package.json package-lock.json ./
RUN ["/bin/sh", "-c", "npm ci --ignore-scripts && echo \"installed $HOME\""]
COPY . .
RUN ["/bin/sh", "-c", "npm run lint\necho 'done; \"quoted\"'\n"]

FROM gcr.io/distroless/nodejs20-debian12 AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_CACHE=/tmp/.npm \
    PATH=/app/node_modules/.bin:$PATH
COPY --from=build /app ./
USER 10001:10001
ENV PORT=4000
EXPOSE 4000
CMD ["/bin/sh", "-c", "exec node index.js --greeting \"it's \\\"here\\\"\" --port $PORT"]
