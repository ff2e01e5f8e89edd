# braid's own processes (api, ingest, worker, migrate) in one image; the
# command picks the process. TypeScript runs through tsx, as in development.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENTRYPOINT ["node", "bin/braid.js"]
CMD ["up"]
