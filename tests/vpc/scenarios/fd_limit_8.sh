# shellcheck shell=bash
describe "Healthy VPC, netcheck started with an open-file limit of 8: out of descriptors is LOCAL_RESOURCE (warn), never a VPC fault"
hosts 1
fd_limit 8
checks() {
  tb_healthy_basics algo-1
}
# What ran out of descriptors is a warning about netcheck itself (info on an informational
# probe, by its tier); what got a socket passed.
allow algo-1 '*' 'OK@pass|OK@skip|LOCAL_RESOURCE@warn|LOCAL_RESOURCE@info'
