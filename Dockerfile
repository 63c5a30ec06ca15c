# syntax=docker/dockerfile:1
# kinflux: a small multi-stage image. Build with `docker build -t kinflux .` (or `docker-compose build`).
# Node 24: the LTS line with the longest support ahead (security fixes until April 2028); Node 22's end in
# April 2027, Node 20's ended in April 2026, and AWS SDK releases from January 2027 need Node >= 22.
ARG NODE_IMAGE=node:24-slim

# 1. Compile TypeScript with the full (dev) dependency set.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` build needs src/, copied next; the build runs explicitly below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Production dependencies only, in their own stage so the runtime gets no compiler or test tools.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. Runtime.
FROM ${NODE_IMAGE}
# MALLOC_MMAP_THRESHOLD_: glibc serves socket reads (64 KiB) and body buffers with mmap, so their memory goes
# back to the system when a burst ends (README "Memory budget"); without it RSS stays near the burst's peak.
ENV NODE_ENV=production \
    KINFLUX_HOST=0.0.0.0 \
    KINFLUX_PORT=8086 \
    MALLOC_MMAP_THRESHOLD_=65536
WORKDIR /app
# Files stay owned by root: the process, which runs as the image's unprivileged `node` user,
# can read but not modify its own code.
COPY package.json openapi.yaml ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# `kinflux` on PATH in the container: `docker exec <container> kinflux read`.
RUN ln -s /app/bin/kinflux.js /usr/local/bin/kinflux
USER node
EXPOSE 8086
# Slim images have no curl: ask /ready with Node's own fetch. /ready is 503 while no stream can take
# writes or during shutdown, so the orchestrator stops routing writes there.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.KINFLUX_PORT||8086)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself: it stops accepting, delivers what it acknowledged, exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli.js"]
