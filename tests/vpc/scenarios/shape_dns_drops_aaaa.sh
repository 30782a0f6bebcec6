# shellcheck shell=bash
describe "A resolver that answers A and drops every AAAA query (no answer at all), as some DNS appliances do: every name resolves once its AAAA times out (c-ares: 1 + 2 + 4 s), nothing fails, and the workload waits for that timeout once, not twice"
hosts 1
toggle hostile_dns '*/AAAA=drop'
netcheck_args --timeout 15
# One DNS timeout (7 s) and the checks: the probes that connect take the dns probe's answers;
# they must not ask the same server the same question again (14 s, cut by --timeout 15).
measure_rss 16384 9
checks() {
  tb_dns algo-1 sts.us-east-1.amazonaws.com NOERROR 198.19.2.10
}
# The informational probes give up within their 3 s connect budget, before the AAAA timeout:
# facts (info), never a failure or a warning.
allow algo-1 '*' 'OK@pass|OK@skip|OK@info|DNS_TIMEOUT@info|EGRESS_BLOCKED@info'
