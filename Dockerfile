# One image for every AstroBookings process: the command picks the part to run.
FROM node:20-slim AS console
WORKDIR /console
COPY gateway/console/package.json ./
RUN npm install --no-package-lock --no-audit --no-fund --omit=dev

FROM python:3.11-slim
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy PYTHONUNBUFFERED=1
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --extra tracing --no-install-project
COPY astro ./astro
COPY astroctl ./astroctl
COPY gateway ./gateway
COPY --from=console /console/node_modules ./gateway/console/node_modules
COPY subgraphs ./subgraphs
COPY schema ./schema
RUN uv sync --frozen --no-dev --extra tracing
ENV PATH="/app/.venv/bin:$PATH" ASTRO_MODE=production
EXPOSE 4000
CMD ["astro", "gateway", "--host", "0.0.0.0"]
