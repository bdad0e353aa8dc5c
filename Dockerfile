# syntax=docker/dockerfile:1
# Example image of a service that uses @valuecanvas/secrets: examples/service.js under the preload, plus the
# vc-secrets CLI (init container `vc-secrets check`, CronJob `vc-secrets rotate --due`).
#
#   docker build -t registry.example.com/example-service:0.1.0 .
#
# Linted with hadolint (scripts/lint-dockerfile.sh, run by test/manifests/dockerfile.test.ts). It is not built
# by the tests: there is no container engine on the development and CI machines. See docs/kubernetes.md.

# --- build: all dependencies (TypeScript), compile src/ to dist/ -------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build runs below instead.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json register.js ./
COPY src ./src
RUN npm run build

# --- deps: production dependencies only (sodium-native ships prebuilt binaries: no compiler needed) -------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- runtime: no npm cache, no dev dependencies, no sources; files owned by root, run as uid 1000 --------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json register.js ./
COPY bin ./bin
COPY examples/service.js examples/schema.js ./examples/
# vc-secrets on PATH, from the package's own "bin" (npm links the bins of dependencies, not of the package itself).
# The build fails here if the package has no vc-secrets bin.
RUN bin="$(node -p 'const b = require("./package.json").bin || {}; (typeof b === "string" ? b : b["vc-secrets"]) || ""')" \
 && test -n "$bin" && test -f "/app/$bin" \
 && printf '#!/bin/sh\nexec node "/app/%s" "$@"\n' "$bin" > /usr/local/bin/vc-secrets \
 && chmod 0755 /usr/local/bin/vc-secrets
# Numeric, so Kubernetes can verify runAsNonRoot (the node image's "node" user is uid 1000).
USER 1000:1000
# The preload runs before the app's first line: a missing or invalid secret exits 78 before any app code runs.
# /app is the package itself, so the bare specifier resolves (package self-reference). In Kubernetes the
# Deployment sets NODE_OPTIONS=--require=@valuecanvas/secrets/register and runs `node examples/service.js`.
ENTRYPOINT ["node", "--require", "@valuecanvas/secrets/register"]
CMD ["examples/service.js"]
