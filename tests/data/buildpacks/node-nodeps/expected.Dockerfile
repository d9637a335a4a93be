# Synthesized by nextdeploy (node, npm). 'nextdeploy plan' says why.
FROM node:20.11.1-bookworm AS build
WORKDIR /app
ENV CI=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
LABEL nextdeploy.managed="true" nextdeploy.app="golden" nextdeploy.stage="build"
COPY . .

FROM node:20.11.1-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_CACHE=/tmp/.npm \
    PATH=/app/node_modules/.bin:$PATH
COPY --from=build /app ./
USER 10001:10001
ENV PORT=3000
EXPOSE 3000
CMD ["node", "server.js"]
