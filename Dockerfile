# netcheck image: the builder runs the same scripts as `make static`; the final
# stage holds only the static binary. Processing images copy it in:
#   COPY --from=netcheck /netcheck /usr/local/bin/netcheck
#   ENTRYPOINT ["/usr/local/bin/netcheck", "--", "python3", "/opt/ml/processing/code/job.py"]

FROM debian:bookworm AS builder
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh && make static

FROM scratch AS netcheck
COPY --from=builder /src/netcheck-static /netcheck
ENTRYPOINT ["/netcheck"]

# An example processing image: netcheck wraps the processing script.
FROM python:3.11-slim AS example
COPY --from=netcheck /netcheck /usr/local/bin/netcheck
COPY examples/job.py /opt/ml/processing/code/job.py
ENTRYPOINT ["/usr/local/bin/netcheck", "--", "python3", "/opt/ml/processing/code/job.py"]
