# netcheck's images. The default (last) stage is the netcheck image:
#   docker build -t netcheck .                      FROM scratch: the release's files at /
#                                                   (/netcheck, /netcheck.1, /LICENSE,
#                                                   /THIRD_PARTY_NOTICES, /CHANGELOG.md, /README)
#   docker build --output type=local,dest=DIR .     the same files, written to DIR
#   docker build --target example -t netcheck-example .
#                                                   a processing image: netcheck wraps
#                                                   examples/job.py
# The builder runs what a release runs, `make dist` (tests/dist/run.sh runs these RUN lines
# and checks that every COPY below finds its files). README.md, "In a processing image", shows
# how to put netcheck into your own image.

FROM debian:bookworm AS builder
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh --build
RUN make dist

# An example processing image: netcheck is the entrypoint and hands over to the job's script.
# Job code lives outside /opt/ml, which SageMaker reserves for its own files.
FROM python:3.11-slim AS example
COPY --from=builder /src/build/dist/stage/netcheck /usr/local/bin/netcheck
COPY --from=builder /src/build/dist/stage/LICENSE /src/build/dist/stage/THIRD_PARTY_NOTICES /usr/local/share/doc/netcheck/
COPY examples/job.py /opt/program/job.py
ENTRYPOINT ["/usr/local/bin/netcheck", "--", "python3", "/opt/program/job.py"]

# The netcheck image (the default target): nothing but the release's files.
FROM scratch AS netcheck
COPY --from=builder /src/build/dist/stage/ /
ENTRYPOINT ["/netcheck"]
