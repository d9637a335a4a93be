# Synthesized by nextdeploy (go). 'nextdeploy plan' says why.
FROM golang:1.19-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
LABEL nextdeploy.managed="true" nextdeploy.app="golden" nextdeploy.stage="build"
COPY go.mod ./
COPY . .
RUN go build -trimpath -tags timetzdata -ldflags="-s -w" -o /out/app .

FROM busybox:1.36.1 AS runtime
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/app /usr/local/bin/app
WORKDIR /app
USER 10001:10001
ENV PORT=8080
EXPOSE 8080
CMD ["/usr/local/bin/app"]
