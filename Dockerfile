# The service's image: the worker and the API (docker-compose.yml picks the command). The Maesn
# sandbox is a separate package with its own image (sandbox/Dockerfile); nothing of it is in here.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --workspaces=false: the service's own dependencies only, not the sandbox workspace's.
RUN npm ci --workspaces=false --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev --workspaces=false

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
USER node
CMD ["node", "dist/src/api/main.js"]
