/*
 * diag.c - diagnosis codes: names, one-line summaries, the page that
 * `netcheck explain CODE` prints, and docs/diagnoses.md.
 *
 * Every code has one page (struct diag_page) written once below; the plain
 * text of `netcheck explain` and the Markdown of docs/diagnoses.md are both
 * rendered from it, so the two cannot drift apart. Prose is stored as single
 * long lines and wrapped when rendered; backticks mark code in Markdown and
 * are dropped in plain text. The unit test (tests/unit/test_diag.c) checks
 * that docs/diagnoses.md is exactly what diag_markdown() prints.
 */
#include "netcheck/diag.h"
#include "netcheck/peerproto.h"

#include "netcheck/common.h"
#include "netcheck/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Width that prose is wrapped to, in both renderings. */
#define DIAG_WRAP_COLS 78

/* A list item that starts with this character is a verbatim block (commands,
 * JSON): printed line by line as written, never wrapped. */
#define DIAG_VERBATIM_MARK '\v'
#define BLOCK(text) "\v" text

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
#define SEE(...) ((const enum nc_code[]){__VA_ARGS__, NC_CODE_COUNT})

struct diag_page {
  const char *summary;          /* one line, under 80 chars, no markup */
  const char *matters;          /* when it matters for the job (its tier, what uses it) */
  const char *observed;         /* what netcheck saw on the wire */
  const char *const *causes;    /* NULL-terminated */
  const char *const *fix;       /* NULL-terminated; BLOCK() items verbatim */
  const enum nc_code *see_also; /* NC_CODE_COUNT-terminated */
};

#define NC_DIAG_NAME(name) #name,
static const char *const diag_names[NC_CODE_COUNT] = {NC_DIAG_CODES(NC_DIAG_NAME)};
#undef NC_DIAG_NAME

/* The pages are laid out by hand: keep clang-format off them. */
// clang-format off
static const struct diag_page diag_pages[NC_CODE_COUNT] = {
    [NC_OK] = {
        "The probe met its expectation",
        "Never: the probe saw what it expected.",
        "The probe saw what its expectation asked for: a target expected to "
        "be reachable answered correctly, or a target expected to be blocked "
        "(the Amazon Linux repositories, or the internet with "
        "`\"internet\": \"blocked\"`) could not be reached or was refused.",
        LIST("Nothing is wrong with this probe. Its `timings_ms` (dns, "
             "connect, tls, first_byte, total) still show where the time "
             "went."),
        LIST("Nothing to fix here. If the job still fails, look at the "
             "probes whose verdict is `fail` or `warn`, then at the "
             "workload's own log: netcheck tests the network paths the job "
             "uses, not the workload."),
        SEE(NC_TIMEOUT_BUDGET, NC_NETWORK_ISOLATED),
    },

    [NC_DNS_NO_RESOLVER] = {
        "No DNS server to ask: no usable nameserver",
        "Always: without a nameserver no AWS name resolves, S3 included. Peers still resolve through `/etc/hosts`, which SageMaker writes.",
        "netcheck found no DNS server it could query: `/etc/resolv.conf` was "
        "missing or unreadable, listed no `nameserver`, or listed only "
        "addresses that failed at once (no route to them, or ICMP port "
        "unreachable). No query got as far as waiting for an answer.",
        LIST("The image or an entrypoint script replaced `/etc/resolv.conf` "
             "(for example with a file baked into the image) instead of "
             "keeping the one the container runtime provides.",
             "The only nameserver is a loopback stub copied from a build "
             "machine, such as `127.0.0.53` (systemd-resolved) or "
             "`127.0.0.11` (Docker's embedded DNS), and nothing listens on "
             "it inside the job's container.",
             "A custom DHCP options set on the VPC hands out "
             "`domain-name-servers` addresses that the job's subnets have no "
             "route to.",
             "`--dns-server` names an address that is wrong or unreachable.",
             "The container has only the loopback interface because network "
             "isolation is on: see `NETWORK_ISOLATED`."),
        LIST("Look at what the job saw: the report's `environment.resolv` "
             "lists the nameservers, search domains and options netcheck "
             "read.",
             "Do not write `/etc/resolv.conf` in the image or the "
             "entrypoint; leave it to the runtime. In a VPC the "
             "Amazon-provided resolver (Route 53 Resolver, "
             "`AmazonProvidedDNS`) answers at the VPC's base address plus "
             "two (10.0.0.2 in 10.0.0.0/16) and at 169.254.169.253.",
             "If the VPC uses a custom DHCP options set, check its "
             "`domain-name-servers`: use `AmazonProvidedDNS` unless you run "
             "your own resolvers, and then they must be reachable from every "
             "subnet of the job:",
             BLOCK("aws ec2 describe-vpcs --vpc-ids vpc-ID \\\n"
                   "    --query 'Vpcs[0].DhcpOptionsId' --output text\n"
                   "aws ec2 describe-dhcp-options --dhcp-options-ids dopt-ID")),
        SEE(NC_DNS_TIMEOUT, NC_NETWORK_ISOLATED),
    },

    [NC_DNS_TIMEOUT] = {
        "DNS queries got no answer before the timeout",
        "On a name the job needs (a bucket it reads or writes, the regional S3 name: tier `required`) every lookup stalls, then fails. On a name only informational probes use (an AWS service, `pypi.org`), only if your code uses that name.",
        "netcheck sent DNS queries to the configured nameservers and none "
        "answered before the probe's timeout. The report lists each "
        "nameserver with its own result and latency.",
        LIST("`enableDnsSupport` is off for the VPC, so the Amazon-provided "
             "resolver at the VPC's base address plus two does not answer.",
             "A custom DHCP options set points the VPC at your own DNS "
             "servers and the job cannot reach them: their security group "
             "does not allow UDP and TCP port 53 from the job's subnets, a "
             "network ACL drops the traffic, or the route to them (for "
             "example to on-premises DNS over a VPN or Direct Connect) is "
             "missing or down.",
             "A Route 53 Resolver forwarding rule sends the name (a rule for "
             "`amazonaws.com`, or one for every name) through an outbound "
             "endpoint to "
             "target servers that do not answer in time, so the client gives "
             "up first (or later gets SERVFAIL: see `DNS_SERVFAIL`).",
             "Too many queries: the Amazon-provided resolver accepts at most "
             "1024 packets per second from each network interface and drops "
             "the rest.",
             "Security groups and network ACLs do not filter traffic to the "
             "Amazon-provided resolver, so they are not the cause when it is "
             "the nameserver; they are when the nameserver is your own."),
        LIST("Check the VPC's DNS attributes and turn DNS support on:",
             BLOCK("aws ec2 describe-vpc-attribute --vpc-id vpc-ID \\\n"
                   "    --attribute enableDnsSupport\n"
                   "aws ec2 modify-vpc-attribute --vpc-id vpc-ID \\\n"
                   "    --enable-dns-support '{\"Value\":true}'"),
             "If the VPC uses your own DNS servers, allow UDP and TCP port 53 "
             "from the job's subnets to them (their security groups, and the "
             "network ACLs on both sides), or go back to the Amazon-provided "
             "resolver; jobs started after the change pick it up:",
             BLOCK("aws ec2 create-dhcp-options --dhcp-configurations \\\n"
                   "    'Key=domain-name-servers,Values=AmazonProvidedDNS'\n"
                   "aws ec2 associate-dhcp-options --dhcp-options-id dopt-ID "
                   "\\\n"
                   "    --vpc-id vpc-ID"),
             "List the Resolver rules associated with the VPC; a forwarding "
             "rule that covers `amazonaws.com` or the bucket names needs "
             "targets that answer:",
             BLOCK("aws route53resolver list-resolver-rule-associations \\\n"
                   "    --filters Name=VPCId,Values=vpc-ID"),
             "Compare nameservers one by one with `--dns-server IP`, or with "
             "`dig @10.0.0.2 s3.REGION.amazonaws.com` from the same subnet."),
        SEE(NC_DNS_NO_RESOLVER, NC_DNS_SERVFAIL, NC_TIMEOUT_BUDGET),
    },

    [NC_DNS_NXDOMAIN] = {
        "The resolver says the name does not exist (NXDOMAIN)",
        "On a name the job needs (tier `required`) the job fails at its first request. On a name only informational probes use (an AWS service, `pypi.org`), only if your code uses that name.",
        "A nameserver answered the query with NXDOMAIN: as far as it knows, "
        "the name does not exist at all.",
        LIST("The name is wrong: a typo in the bucket name of an S3 URI, or "
             "a wrong region (`--region`, `AWS_REGION`, or the region taken "
             "from the job ARN) in `s3.REGION.amazonaws.com` or in a service "
             "endpoint name.",
             "A Route 53 private hosted zone associated with the VPC covers "
             "the name (for example a zone named `amazonaws.com` or "
             "`s3.REGION.amazonaws.com`, made by hand for an endpoint) but "
             "has no record for it: inside the VPC the private zone answers, "
             "and names missing from it get NXDOMAIN instead of the public "
             "answer.",
             "Your own DNS servers (custom DHCP options set) or a Route 53 "
             "Resolver forwarding rule send `amazonaws.com` to an internal "
             "DNS service that does not know AWS's public names.",
             "A Route 53 Resolver DNS Firewall rule blocks the domain and is "
             "configured to answer NXDOMAIN.",
             "An endpoint-specific name (`*.vpce.amazonaws.com`) whose "
             "interface endpoint was deleted."),
        LIST("Compare the probe's `target` with the bucket and region the "
             "job really uses; the job's S3 URIs are in:",
             BLOCK("aws sagemaker describe-processing-job \\\n"
                   "    --processing-job-name NAME"),
             "Look for a private hosted zone that covers the name. If one was "
             "made by hand for an endpoint, delete it and turn on private "
             "DNS on the interface endpoint instead, or add the missing "
             "records:",
             BLOCK("aws route53 list-hosted-zones-by-vpc --vpc-id vpc-ID \\\n"
                   "    --vpc-region REGION"),
             "Check the Resolver rules and DNS Firewall rule groups on the "
             "VPC:",
             BLOCK("aws route53resolver list-resolver-rule-associations \\\n"
                   "    --filters Name=VPCId,Values=vpc-ID\n"
                   "aws route53resolver list-firewall-rule-group-associations "
                   "\\\n"
                   "    --vpc-id vpc-ID")),
        SEE(NC_DNS_SERVFAIL, NC_S3_NO_SUCH_BUCKET, NC_PEER_DNS),
    },

    [NC_DNS_SERVFAIL] = {
        "The resolver failed to answer (SERVFAIL)",
        "On a name the job needs (tier `required`) the job fails at its first request. On a name only informational probes use, only if your code uses that name.",
        "A nameserver answered, but with an error instead of an answer: "
        "SERVFAIL (it tried to resolve the name and failed) or another "
        "server-side error (FORMERR, NOTIMP, an answer that cannot be "
        "parsed). A REFUSED answer has its own code, `DNS_REFUSED`.",
        LIST("Your own DNS servers (custom DHCP options set) resolve "
             "recursively from the internet's root servers, but in a private "
             "VPC they have no path to the internet.",
             "A Route 53 Resolver forwarding rule sends the query through an "
             "outbound endpoint to target servers that fail, time out, or "
             "cannot be reached from the outbound endpoint's subnets and "
             "security group.",
             "DNSSEC validation is turned on for the VPC in Route 53 "
             "Resolver and the answer does not validate."),
        LIST("Compare the failing server with the Amazon-provided resolver: "
             "run netcheck with `--dns-server IP` for each, or "
             "`dig @IP NAME` from the same subnet.",
             "If only your own server fails, make it forward `amazonaws.com` "
             "(or everything it does not own) to the Amazon-provided "
             "resolver at the VPC's base address plus two, and allow "
             "recursion for the job's subnets.",
             "Check the Resolver rules of the VPC and the health of their "
             "targets, and the DNSSEC validation setting:",
             BLOCK("aws route53resolver list-resolver-rule-associations \\\n"
                   "    --filters Name=VPCId,Values=vpc-ID\n"
                   "aws route53resolver get-resolver-dnssec-config \\\n"
                   "    --resource-id vpc-ID")),
        SEE(NC_DNS_TIMEOUT, NC_DNS_NXDOMAIN, NC_DNS_REFUSED),
    },

    [NC_S3_NO_ROUTE] = {
        "No network path to S3: TCP connections timed out",
        "Always for the job's own buckets (tier `required`): SageMaker and your code download the inputs and upload the outputs on this path.",
        "TCP connections to the S3 endpoint's addresses "
        "(`s3.REGION.amazonaws.com` or the bucket's own name) timed out: "
        "neither a SYN-ACK nor a reset came back. The name resolved, so DNS "
        "works; the packets have no path to S3 or are dropped on the way. "
        "Without internet access, a private subnet reaches S3 only through a "
        "VPC endpoint.",
        LIST("The VPC has no S3 gateway endpoint (and no NAT gateway): the "
             "S3 names resolve to public S3 addresses that the private "
             "subnets have no route to.",
             "The gateway endpoint exists but is not associated with the "
             "route table of every subnet in the job's `VpcConfig`. A subnet "
             "without an explicit association uses the VPC's main route "
             "table.",
             "The bucket is in another region: a gateway endpoint only "
             "carries traffic to S3 in the VPC's own region (see "
             "`S3_WRONG_REGION`).",
             "The job's security group restricts outbound traffic and does "
             "not allow TCP 443 to the S3 prefix list (`pl-...`) or to "
             "0.0.0.0/0.",
             "A network ACL on the job's subnets denies outbound TCP 443 to "
             "S3, or the inbound replies on ports 1024-65535 (network ACLs "
             "are stateless).",
             "The S3 names point at an S3 interface endpoint (the report "
             "shows addresses inside the VPC) whose security group does not "
             "allow inbound TCP 443 from the job.",
             "A firewall or inspection appliance on the route drops the "
             "traffic."),
        LIST("Find the route tables of the job's subnets, and the main route "
             "table for subnets without an association:",
             BLOCK("aws ec2 describe-route-tables \\\n"
                   "    --filters Name=association.subnet-id,Values=subnet-ID\n"
                   "aws ec2 describe-route-tables --filters \\\n"
                   "    Name=vpc-id,Values=vpc-ID Name=association.main,"
                   "Values=true"),
             "Create an S3 gateway endpoint on those route tables (it adds a "
             "route to the S3 prefix list to each of them), or add the route "
             "tables to the endpoint you already have:",
             BLOCK("aws ec2 create-vpc-endpoint --vpc-id vpc-ID \\\n"
                   "    --service-name com.amazonaws.REGION.s3 \\\n"
                   "    --route-table-ids rtb-ID\n"
                   "aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-ID \\\n"
                   "    --add-route-table-ids rtb-ID"),
             "If the job's security group restricts outbound traffic, allow "
             "TCP 443 to the S3 prefix list:",
             BLOCK("aws ec2 describe-prefix-lists \\\n"
                   "    --filters Name=prefix-list-name,"
                   "Values=com.amazonaws.REGION.s3\n"
                   "aws ec2 authorize-security-group-egress --group-id sg-JOB "
                   "\\\n"
                   "    --ip-permissions '[{\"IpProtocol\": \"tcp\", "
                   "\"FromPort\": 443,\n"
                   "      \"ToPort\": 443, \"PrefixListIds\": "
                   "[{\"PrefixListId\": \"pl-ID\"}]}]'"),
             "If the subnets' network ACLs are not the default allow-all, "
             "allow outbound TCP 443 and inbound TCP 1024-65535:",
             BLOCK("aws ec2 describe-network-acls \\\n"
                   "    --filters Name=association.subnet-id,Values=subnet-ID"),
             "If the S3 names resolve to addresses inside the VPC, fix the "
             "interface endpoint's security group as for "
             "`AWS_ENDPOINT_UNREACHABLE`."),
        SEE(NC_S3_WRONG_REGION, NC_AWS_ENDPOINT_UNREACHABLE,
            NC_EGRESS_BLOCKED, NC_TIMEOUT_BUDGET),
    },

    [NC_S3_DENIED_ENDPOINT_POLICY] = {
        "Denied by the S3 VPC endpoint policy",
        "Always for the job's own buckets (tier `required`). On a repository probe it is the expected answer: the policy blocks the repositories.",
        "S3 answered 403 AccessDenied to a signed request, and its message "
        "names the VPC endpoint policy as the reason: \"... because no VPC "
        "endpoint policy allows the s3:ListBucket action\" (no `Allow` "
        "statement of the endpoint policy matches) or \"... with an explicit "
        "deny in a VPC endpoint policy\" (a `Deny` statement matches). Only "
        "signed requests can be told apart: anonymous requests only ever get "
        "a plain \"Access Denied\", which netcheck reports as `S3_DENIED`.",
        LIST("The endpoint policy allows only a list of buckets, and this "
             "bucket is not on it.",
             "The policy names the objects (`arn:aws:s3:::BUCKET/*`) but not "
             "the bucket itself (`arn:aws:s3:::BUCKET`), which "
             "`s3:ListBucket` (HeadBucket, ListObjectsV2) needs; or it allows "
             "`s3:GetObject` but not `s3:ListBucket`, or not `s3:PutObject` "
             "for the outputs.",
             "The policy's `Principal` or a condition (`aws:PrincipalArn`, "
             "`aws:PrincipalAccount`, `aws:PrincipalOrgID`, "
             "`aws:ResourceAccount`) leaves out the job's execution role or "
             "the bucket's account.",
             "A `Deny` statement, such as a repository block, has a "
             "`Resource` wildcard that also matches this bucket.",
             "The policy was replaced by one with only `Deny` statements (as "
             "in the AWS example for blocking the Amazon Linux "
             "repositories): with no `Allow` left, everything is implicitly "
             "denied.",
             "The traffic goes through an S3 interface endpoint whose policy "
             "is separate from the gateway endpoint's."),
        LIST("Read the policies of the VPC's S3 endpoints:",
             BLOCK("aws ec2 describe-vpc-endpoints --filters \\\n"
                   "    Name=vpc-id,Values=vpc-ID \\\n"
                   "    Name=service-name,Values=com.amazonaws.REGION.s3 \\\n"
                   "    --query 'VpcEndpoints[].[VpcEndpointId,PolicyDocument]'"),
             "Allow what the job needs through the endpoint: `s3:ListBucket` "
             "on the bucket, `s3:GetObject` on its inputs and `s3:PutObject` "
             "on its outputs. For example, as a statement of the endpoint "
             "policy:",
             BLOCK("{\n"
                   "  \"Sid\": \"AllowJobBuckets\",\n"
                   "  \"Effect\": \"Allow\",\n"
                   "  \"Principal\": \"*\",\n"
                   "  \"Action\": [\"s3:ListBucket\", \"s3:GetObject\", "
                   "\"s3:PutObject\"],\n"
                   "  \"Resource\": [\n"
                   "    \"arn:aws:s3:::BUCKET\",\n"
                   "    \"arn:aws:s3:::BUCKET/*\"\n"
                   "  ]\n"
                   "}"),
             "Apply the whole policy, keeping the repository `Deny` "
             "statement (see `REPO_NOT_BLOCKED`); `--reset-policy` instead "
             "goes back to the default full-access policy. Changes can take "
             "a few minutes to apply:",
             BLOCK("aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-ID \\\n"
                   "    --policy-document file://endpoint-policy.json")),
        SEE(NC_S3_DENIED, NC_REPO_NOT_BLOCKED, NC_CREDS_UNAVAILABLE),
    },

    [NC_S3_DENIED] = {
        "S3 refused the request (403 AccessDenied): bucket policy or IAM",
        "Always for the job's own buckets (tier `required`): the job's role cannot read or list what the job reads.",
        "S3 answered 403 AccessDenied and the message does not name the VPC "
        "endpoint policy. For a signed request S3 usually says which kind of "
        "policy denied it (identity-based, resource-based, service control "
        "policy, ...). An anonymous request only ever gets a plain \"Access "
        "Denied\", which can come from any policy, the endpoint policy "
        "included; requests from another account than the bucket's may get "
        "the plain message too.",
        LIST("No credentials: netcheck sent the request unsigned (see "
             "`CREDS_UNAVAILABLE`), and the bucket, like every private "
             "bucket, refuses anonymous requests. This only shows that S3 is "
             "reachable.",
             "The bucket policy denies requests that do not come through a "
             "given endpoint or VPC (`aws:SourceVpce` or `aws:SourceVpc` "
             "with `StringNotEquals`), and the job reaches S3 another way: "
             "through another endpoint, from another VPC, or through a NAT "
             "gateway, where these keys are absent and the `Deny` applies.",
             "The bucket policy allows by `aws:SourceIp` (for example the NAT "
             "gateway's Elastic IP): through a gateway endpoint S3 sees the "
             "job's private address instead, so the condition no longer "
             "matches.",
             "The execution role (or whatever credentials netcheck used) "
             "lacks `s3:ListBucket` on `arn:aws:s3:::BUCKET` or "
             "`s3:GetObject` on the input objects, or a permissions "
             "boundary, an organization SCP or a resource control policy "
             "denies it.",
             "The bucket belongs to another account: then both the bucket "
             "policy and the role's own policy must allow the request.",
             "An endpoint policy denial on an anonymous or cross-account "
             "request looks the same: see `S3_DENIED_ENDPOINT_POLICY`."),
        LIST("If the probe ran unsigned, fix the credentials first "
             "(`CREDS_UNAVAILABLE`) and run again: a signed request gets a "
             "message that names the kind of policy.",
             "Read the bucket policy and look for `Deny` statements with "
             "`aws:SourceVpce`, `aws:SourceVpc` or `aws:SourceIp` "
             "conditions; the endpoint ID must be the one on the job's route "
             "tables:",
             BLOCK("aws s3api get-bucket-policy --bucket BUCKET \\\n"
                   "    --query Policy --output text\n"
                   "aws ec2 describe-vpc-endpoints \\\n"
                   "    --filters Name=vpc-id,Values=vpc-ID"),
             "Check what the execution role may do on the bucket:",
             BLOCK("aws sagemaker describe-processing-job \\\n"
                   "    --processing-job-name NAME --query RoleArn\n"
                   "aws iam simulate-principal-policy \\\n"
                   "    --policy-source-arn ROLE_ARN \\\n"
                   "    --action-names s3:ListBucket s3:GetObject \\\n"
                   "    --resource-arns arn:aws:s3:::BUCKET "
                   "'arn:aws:s3:::BUCKET/*'"),
             "For a bucket in another account, add the execution role to the "
             "bucket policy and the bucket to the role's policy."),
        SEE(NC_S3_DENIED_ENDPOINT_POLICY, NC_CREDS_UNAVAILABLE,
            NC_S3_NO_SUCH_BUCKET),
    },

    [NC_S3_NO_SUCH_BUCKET] = {
        "S3 says the bucket does not exist (404 NoSuchBucket)",
        "Always for the job's own buckets (tier `required`).",
        "S3 answered 404: the bucket does not exist (error code NoSuchBucket, "
        "\"The specified bucket does not exist\", when the response has a "
        "body). The request reached S3, so routes, DNS and TLS work.",
        LIST("A typo in the bucket name: in the job's S3 URIs, in `--bucket` "
             "or in the `--config` file.",
             "The bucket was deleted, or the pipeline step that should create "
             "it has not run yet.",
             "The bucket exists in another AWS partition (AWS China, "
             "AWS GovCloud (US)) than the endpoint netcheck asked."),
        LIST("Check the name from a machine with access: `aws s3api "
             "head-bucket --bucket BUCKET` answers 404 when the bucket does "
             "not exist and 403 when it exists but you may not see it.",
             "Fix the S3 URIs of the processing job "
             "(`ProcessingInputs[].S3Input.S3Uri`, "
             "`ProcessingOutputConfig.Outputs[].S3Output.S3Uri`), or create "
             "the bucket in the job's region (leave out "
             "`--create-bucket-configuration` in us-east-1):",
             BLOCK("aws s3api create-bucket --bucket BUCKET --region REGION "
                   "\\\n"
                   "    --create-bucket-configuration "
                   "LocationConstraint=REGION")),
        SEE(NC_S3_WRONG_REGION, NC_DNS_NXDOMAIN, NC_S3_DENIED),
    },

    [NC_S3_WRONG_REGION] = {
        "The bucket is in another region than the one netcheck used",
        "Always for the job's own buckets (tier `required`): without a route to the bucket's own region the requests fail.",
        "S3 answered that the bucket lives in another region: 301 "
        "PermanentRedirect (\"The bucket you are attempting to access must "
        "be addressed using the specified endpoint\"), 400 "
        "AuthorizationHeaderMalformed (\"the region 'X' is wrong; expecting "
        "'Y'\") for a signed request, or an `x-amz-bucket-region` header that "
        "differs from the region netcheck used. The probe's `details` keep "
        "the region S3 named.",
        LIST("The bucket was created in another region than the job's. A "
             "gateway endpoint only reaches S3 in the VPC's own region, so "
             "from a private VPC the data stays out of reach even when the "
             "redirect is followed.",
             "netcheck used the wrong region: `--region`, `AWS_REGION` or "
             "`AWS_DEFAULT_REGION` disagree with the job's region.",
             "The S3 URI names a bucket of another environment (for example "
             "a development bucket in another region)."),
        LIST("Find the bucket's region (`null` means us-east-1):",
             BLOCK("aws s3api get-bucket-location --bucket BUCKET"),
             "Keep a job's data in the job's region: copy it, set up S3 "
             "replication, or run the job in the bucket's region:",
             BLOCK("aws s3 sync s3://SOURCE-BUCKET/PREFIX "
                   "s3://BUCKET/PREFIX \\\n"
                   "    --source-region SOURCE-REGION --region REGION"),
             "If the job must read across regions, it needs a path to S3 in "
             "that region: a NAT gateway (through the internet), or an S3 "
             "interface endpoint in that region reached over VPC peering or "
             "a Transit Gateway, addressed by its endpoint-specific DNS "
             "name.",
             "If only netcheck's region is wrong, pass `--region` or fix "
             "`AWS_REGION`."),
        SEE(NC_S3_NO_ROUTE, NC_S3_NO_SUCH_BUCKET, NC_S3_SIGNATURE_MISMATCH),
    },

    [NC_S3_SIGNATURE_MISMATCH] = {
        "S3 rejected the signature (SignatureDoesNotMatch)",
        "Always when the job signs requests (it has credentials): every SDK call fails the same way.",
        "S3 answered 403 SignatureDoesNotMatch (\"The request signature we "
        "calculated does not match the signature you provided. Check your "
        "key and signing method.\"): S3 knows the access key ID, but the "
        "signature made with the secret key, or the request it covers, does "
        "not match what S3 received.",
        LIST("The secret key does not belong to the access key ID: "
             "`AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` come from "
             "different key pairs, or the secret is stale after a key "
             "rotation.",
             "The secret was damaged on the way: a trailing newline or "
             "spaces from a secrets file, quoting in a Dockerfile, a "
             "truncated value.",
             "Something between the job and S3 changed the request after "
             "netcheck signed it: a proxy (`HTTPS_PROXY`) or a TLS "
             "inspection appliance that rewrites the `Host` header, the path "
             "or the query string, or adds or strips signed headers.",
             "A signing bug in netcheck. Its SigV4 code is tested against "
             "the AWS SigV4 test suite and botocore; if the AWS CLI works "
             "with the same credentials from the same container, please "
             "report it with the probe's `details`."),
        LIST("Prefer the job's execution role (container credentials) to "
             "static keys: remove `AWS_ACCESS_KEY_ID`, "
             "`AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` from the job's "
             "`Environment` unless you mean to use them.",
             "If you do use static keys, take both from the same key pair "
             "and strip whitespace.",
             "Keep S3 requests away from rewriting proxies: add "
             "`.amazonaws.com` to `NO_PROXY`, or configure the proxy to pass "
             "S3 traffic through unchanged.",
             "Compare with the AWS CLI from the same container: `aws s3api "
             "head-bucket --bucket BUCKET`."),
        SEE(NC_CLOCK_SKEW, NC_CREDS_UNAVAILABLE, NC_TLS_UNTRUSTED),
    },

    [NC_TLS_UNTRUSTED] = {
        "The server's TLS certificate did not verify",
        "When the probe that saw it is required (S3, the credentials): the AWS SDKs verify certificates the same way and fail. On an informational probe (`pypi.org`, an AWS service), only if your code uses that host.",
        "TCP connected and the TLS handshake reached the server's "
        "certificate, which netcheck refused: its chain does not lead to a "
        "CA in the trust store netcheck used, or it is not valid for the "
        "host name. netcheck always verifies; the probe's `details` show the "
        "certificate's subject.",
        LIST("TLS inspection: a proxy or firewall (a corporate proxy, AWS "
             "Network Firewall with a TLS inspection configuration, an "
             "appliance in an inspection VPC) decrypts the traffic and "
             "re-signs it with its own CA, which the container does not "
             "trust.",
             "`AWS_CA_BUNDLE` or `--ca-bundle` points at a file that holds "
             "only the inspection CA, or an outdated bundle: a bundle "
             "replaces the default trust store, it does not add to it.",
             "The name resolves to a server that is not the AWS service (a "
             "private hosted zone or custom DNS that sends "
             "`*.amazonaws.com` elsewhere), whose certificate is for another "
             "name.",
             "A bucket name with dots (`my.bucket`): in virtual-hosted style "
             "(`my.bucket.s3.REGION.amazonaws.com`) the S3 wildcard "
             "certificate `*.s3.REGION.amazonaws.com` covers one label only, "
             "so the host name does not match.",
             "The clock is so far off that the certificate looks expired or "
             "not yet valid (see `CLOCK_SKEW`)."),
        LIST("See who signed the certificate the job gets:",
             BLOCK("openssl s_client -connect s3.REGION.amazonaws.com:443 \\\n"
                   "    -servername s3.REGION.amazonaws.com </dev/null \\\n"
                   "  | openssl x509 -noout -subject -issuer"),
             "If your inspection CA signed it, either exempt AWS endpoints "
             "(`*.amazonaws.com`) from inspection, or give the job a bundle "
             "with the system CAs plus the inspection CA, and point the SDKs "
             "(`AWS_CA_BUNDLE`) and netcheck (`AWS_CA_BUNDLE` or "
             "`--ca-bundle`) at it:",
             BLOCK("cat /etc/ssl/certs/ca-certificates.crt inspection-ca.pem "
                   "\\\n"
                   "    > bundle.pem\n"
                   "export AWS_CA_BUNDLE=/path/to/bundle.pem"),
             "If you do not know the CA, the name resolves to the wrong "
             "server: check the DNS answers in the report and the VPC's "
             "private hosted zones.",
             "For bucket names with dots, use path-style requests in the "
             "workload (botocore: `Config(s3={'addressing_style': "
             "'path'})`)."),
        SEE(NC_TLS_HANDSHAKE, NC_CLOCK_SKEW, NC_DNS_NXDOMAIN),
    },

    [NC_TLS_HANDSHAKE] = {
        "The TLS handshake failed or stalled (not a trust problem)",
        "When the probe that saw it is required; on an informational probe, only if your code uses that host.",
        "TCP connected, but the TLS handshake did not complete: the "
        "connection was reset or closed during the handshake, the server "
        "sent a TLS alert (for example no protocol version or cipher in "
        "common), or the handshake stalled until the probe's timeout.",
        LIST("A firewall that filters by TLS server name (SNI), such as an "
             "AWS Network Firewall domain list or an egress proxy's "
             "allow-list, resets or drops connections to names it does not "
             "allow.",
             "Something that does not speak TLS answers on port 443, such as "
             "an HTTP proxy reached directly.",
             "A path MTU black hole: the small ClientHello gets through, but "
             "the server's large certificate messages never arrive because "
             "ICMP \"fragmentation needed\" is blocked, so the handshake "
             "stalls (see `PEER_PMTU_BLACKHOLE`).",
             "An inspection appliance that offers only protocol versions or "
             "ciphers that OpenSSL refuses."),
        LIST("Try the same handshake from the same subnet and see where it "
             "stops:",
             BLOCK("openssl s_client -connect HOST:443 -servername HOST "
                   "</dev/null"),
             "If an SNI-filtering firewall or proxy is on the path, allow "
             "the AWS names the job uses: `s3.REGION.amazonaws.com`, "
             "`*.s3.REGION.amazonaws.com` and the service endpoints listed "
             "in the report.",
             "If the handshake stalls after the ClientHello, let ICMP type 3 "
             "code 4 (fragmentation needed) back to the job, as described "
             "for `PEER_PMTU_BLACKHOLE`."),
        SEE(NC_TLS_UNTRUSTED, NC_PEER_PMTU_BLACKHOLE, NC_EGRESS_BLOCKED),
    },

    [NC_CLOCK_SKEW] = {
        "The container's clock differs from S3's by more than 60 seconds",
        "Always beyond 15 minutes: AWS refuses every signed request, S3 included. Under that it is a warning.",
        "netcheck compared its clock with the `Date` header of S3's "
        "responses (one-second resolution). It warns above 60 seconds of "
        "difference and fails above 5 minutes; beyond 15 minutes AWS refuses "
        "every SigV4-signed request (S3: RequestTimeTooSkewed, \"The "
        "difference between the request time and the current time is too "
        "large\").",
        LIST("The host's clock is not synchronised. On hosts you manage "
             "(SageMaker local mode, your own EC2 instances) chrony or ntpd "
             "is missing, stopped, or points at internet NTP servers that a "
             "private subnet cannot reach.",
             "The container runs with a shifted clock set up for testing "
             "(libfaketime, a time namespace).",
             "The `Date` header came from something other than S3: a caching "
             "or inspecting proxy that returns stale responses or its own "
             "wrong time.",
             "On SageMaker-managed instances the clock is kept by AWS; a "
             "container cannot set it."),
        LIST("On hosts you manage, synchronise with the Amazon Time Sync "
             "Service, which every EC2 instance reaches at the link-local "
             "address 169.254.169.123 without internet access: add this "
             "line to `/etc/chrony.conf`, restart chrony, and check the "
             "offset with `chronyc tracking`:",
             BLOCK("server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4"),
             "On SageMaker-managed instances, run the job again (it gets new "
             "instances) and contact AWS Support if the skew persists.",
             "If a proxy answers instead of S3, add `.amazonaws.com` to "
             "`NO_PROXY`."),
        SEE(NC_S3_SIGNATURE_MISMATCH, NC_TLS_UNTRUSTED, NC_CREDS_UNAVAILABLE),
    },

    [NC_CREDS_UNAVAILABLE] = {
        "No usable AWS credentials for signed requests",
        "Always when the job has credentials (its execution role): every S3 and AWS request of the job needs them.",
        "The environment pointed netcheck at credentials it could not use: "
        "the container credentials endpoint "
        "(`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` on 169.254.170.2, or "
        "`AWS_CONTAINER_CREDENTIALS_FULL_URI`) did not answer, answered with "
        "an HTTP error, or returned a document without usable keys (fields "
        "missing, or already expired); or the static keys in the environment "
        "were incomplete. Without credentials the S3 probes run unsigned.",
        LIST("Something in the container blocks or reroutes 169.254.170.2: "
             "a firewall rule, a changed route. (netcheck asks the endpoint "
             "directly, never through a proxy, as the AWS SDKs do.)",
             "The image or the entrypoint cleared or overrode the "
             "environment (`env -i`, a Dockerfile `ENV` that sets "
             "`AWS_CONTAINER_CREDENTIALS_*`), so the variables no longer "
             "match what the runtime set up.",
             "`AWS_CONTAINER_CREDENTIALS_FULL_URI` points at an endpoint "
             "that needs `AWS_CONTAINER_AUTHORIZATION_TOKEN`, and the token "
             "is missing.",
             "`AWS_ACCESS_KEY_ID` is set without `AWS_SECRET_ACCESS_KEY`, or "
             "the reverse; or one of them, or `AWS_SESSION_TOKEN`, holds a "
             "control character or is longer than any real one (a session "
             "token may have up to 16 KiB): the message names the variable.",
             "Network isolation: SageMaker gives an isolated container no "
             "AWS credentials at all (see `NETWORK_ISOLATED`)."),
        LIST("Check from inside the container that the endpoint answers, "
             "without printing the credentials:",
             BLOCK("curl -s -o /dev/null -w '%{http_code}\\n' \\\n"
                   "    \"http://169.254.170.2"
                   "$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI\""),
             "Keep the runtime's `AWS_CONTAINER_CREDENTIALS_*` variables as "
             "they are. If the workload's own tools (curl, pip) use a proxy, "
             "also set `NO_PROXY=169.254.170.2,169.254.169.254` (plus "
             "`.amazonaws.com` if S3 should not go through the proxy).",
             "Remove partial static keys from the job's `Environment`: the "
             "execution role (`RoleArn`) is the normal source of credentials "
             "for a processing job.",
             "If credentials work but requests are denied, the problem is "
             "permissions, not credentials: see `S3_DENIED`."),
        SEE(NC_S3_DENIED, NC_NETWORK_ISOLATED, NC_S3_SIGNATURE_MISMATCH),
    },

    [NC_REPO_NOT_BLOCKED] = {
        "An Amazon Linux package repository is reachable through S3",
        "Only as policy: the SageMaker guide recommends denying the Amazon Linux repositories if you do not want jobs to install packages. A warning by default; `NETCHECK_EXPECT=repo=blocked` in the job's Environment makes it a failure, `repo=any` silences it.",
        "The repo probe fetched an Amazon Linux mirror list (AL1, AL2 or "
        "AL2023) through the S3 endpoint and got it (HTTP 200), where the "
        "SageMaker VPC guidance has the endpoint policy deny it. Code in the "
        "job could install packages from these repositories.",
        LIST("The S3 endpoint has the default policy (full access), which "
             "allows the Amazon Linux repositories like any other bucket.",
             "The endpoint policy follows the AWS example, which denies "
             "`packages.*.amazonaws.com`, `repo.*.amazonaws.com` and "
             "`amazonlinux.*.amazonaws.com` but not the buckets that serve "
             "Amazon Linux 2 (`amazonlinux-2-repos-REGION`) and Amazon Linux "
             "2023 (`al2023-repos-REGION-de612dc2`) today.",
             "The job reaches S3 through a second endpoint without the "
             "`Deny` (for example an S3 interface endpoint next to the "
             "gateway endpoint), or through a NAT gateway, where no endpoint "
             "policy applies."),
        LIST("Add a `Deny` statement for all five repository buckets to the "
             "endpoint policy, next to the `Allow` statement you have (the "
             "default full access, or your list of buckets): a policy with "
             "only the `Deny` allows nothing at all. Replace REGION with the "
             "VPC's region, or write `*` in its place to cover every region. "
             "The last two resources are missing from the AWS example "
             "policy:",
             BLOCK("{\n"
                   "  \"Version\": \"2012-10-17\",\n"
                   "  \"Statement\": [\n"
                   "    {\n"
                   "      \"Sid\": \"AllowEverythingElse\",\n"
                   "      \"Effect\": \"Allow\",\n"
                   "      \"Principal\": \"*\",\n"
                   "      \"Action\": \"*\",\n"
                   "      \"Resource\": \"*\"\n"
                   "    },\n"
                   "    {\n"
                   "      \"Sid\": \"DenyAmazonLinuxRepositories\",\n"
                   "      \"Effect\": \"Deny\",\n"
                   "      \"Principal\": \"*\",\n"
                   "      \"Action\": \"s3:GetObject\",\n"
                   "      \"Resource\": [\n"
                   "        \"arn:aws:s3:::packages.REGION.amazonaws.com/*\",\n"
                   "        \"arn:aws:s3:::repo.REGION.amazonaws.com/*\",\n"
                   "        \"arn:aws:s3:::amazonlinux.REGION.amazonaws.com/*\","
                   "\n"
                   "        \"arn:aws:s3:::amazonlinux-2-repos-REGION/*\",\n"
                   "        \"arn:aws:s3:::al2023-repos-REGION-de612dc2/*\"\n"
                   "      ]\n"
                   "    }\n"
                   "  ]\n"
                   "}"),
             "Apply it to every S3 endpoint (gateway or interface) that the "
             "job's subnets use:",
             BLOCK("aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-ID \\\n"
                   "    --policy-document file://endpoint-policy.json"),
             "Run netcheck again: the repo probe should now get 403 "
             "AccessDenied, which meets its expectation (`blocked`)."),
        SEE(NC_S3_DENIED_ENDPOINT_POLICY, NC_EGRESS_UNEXPECTED),
    },

    [NC_EGRESS_BLOCKED] = {
        "The public internet is not reachable from the job",
        "Only if your code reaches the internet (`pip install`, public APIs, AWS services without an interface endpoint). A fact by default (verdict `info`); `NETCHECK_EXPECT=egress=reachable` makes it a failure.",
        "The egress probe's HTTPS request to a public site (pypi.org unless "
        "configured otherwise) did not get through: the connection timed "
        "out or was refused. With the default expectation (`any`) this is "
        "only reported; with `\"internet\": \"reachable\"` in the `--config` "
        "file it fails.",
        LIST("The subnets are private by design and have no NAT gateway: "
             "the normal state for a private VPC, but a workload that needs "
             "the internet (pip install, external APIs) needs one.",
             "The NAT gateway is not in a public subnet: a public NAT "
             "gateway must sit in a subnet whose route table sends 0.0.0.0/0 "
             "to an internet gateway, and it needs an Elastic IP.",
             "The route table of the job's subnets has no 0.0.0.0/0 route to "
             "the NAT gateway, or sends it somewhere without a way out.",
             "The job's security group does not allow outbound TCP 443 (and "
             "80 if needed) to 0.0.0.0/0.",
             "A network ACL on the job's subnets or on the NAT gateway's "
             "subnet denies outbound 443 or the inbound replies on ports "
             "1024-65535.",
             "A firewall (AWS Network Firewall, an egress proxy) allows only "
             "listed domains, or expects an `HTTPS_PROXY` that the job does "
             "not set."),
        LIST("Create a NAT gateway in a public subnet and point the private "
             "subnets' default route at it:",
             BLOCK("aws ec2 allocate-address --domain vpc\n"
                   "aws ec2 create-nat-gateway --subnet-id subnet-PUBLIC \\\n"
                   "    --allocation-id eipalloc-ID\n"
                   "aws ec2 create-route --route-table-id rtb-PRIVATE \\\n"
                   "    --destination-cidr-block 0.0.0.0/0 "
                   "--nat-gateway-id nat-ID"),
             "Allow outbound HTTPS in the job's security group:",
             BLOCK("aws ec2 authorize-security-group-egress --group-id sg-JOB "
                   "\\\n"
                   "    --ip-permissions '[{\"IpProtocol\": \"tcp\", "
                   "\"FromPort\": 443,\n"
                   "      \"ToPort\": 443, \"IpRanges\": "
                   "[{\"CidrIp\": \"0.0.0.0/0\"}]}]'"),
             "Check the network ACLs of both subnets: outbound 443, inbound "
             "1024-65535.",
             "AWS services do not need the internet: use VPC endpoints for "
             "them (`AWS_ENDPOINT_UNREACHABLE`). If the job should not reach "
             "the internet at all, set `\"internet\": \"blocked\"` so that "
             "netcheck checks that instead."),
        SEE(NC_EGRESS_UNEXPECTED, NC_AWS_ENDPOINT_UNREACHABLE,
            NC_S3_NO_ROUTE),
    },

    [NC_EGRESS_UNEXPECTED] = {
        "The job reached the internet but should be isolated",
        "Only when the job is meant to be isolated: an expectation `egress=blocked` (or a target expected blocked) was given.",
        "The configuration says `\"internet\": \"blocked\"`, but the egress "
        "probe's HTTPS request to a public site succeeded.",
        LIST("A subnet in the job's `VpcConfig` (SageMaker may place "
             "instances in any of them) has a 0.0.0.0/0 route to a NAT "
             "gateway, an internet gateway, or a Transit Gateway or firewall "
             "VPC with a way out.",
             "The job ran without a `VpcConfig`, so it did not run in your "
             "VPC, and SageMaker gave it internet access.",
             "A proxy in the environment (`HTTPS_PROXY`) relays the traffic "
             "out.",
             "The job's security group keeps the default allow-all outbound "
             "rule, so any route out can be used."),
        LIST("Find and remove default routes on the route tables of the "
             "job's subnets, or move the job to subnets without one:",
             BLOCK("aws ec2 describe-route-tables \\\n"
                   "    --filters Name=association.subnet-id,Values=subnet-ID\n"
                   "aws ec2 delete-route --route-table-id rtb-ID \\\n"
                   "    --destination-cidr-block 0.0.0.0/0"),
             "Limit the security group's outbound rules to what the job "
             "needs (TCP 443 to the S3 prefix list, to the interface "
             "endpoints' security group, and the self-referencing rule for "
             "peers), then remove the allow-all rule:",
             BLOCK("aws ec2 revoke-security-group-egress --group-id sg-JOB "
                   "\\\n"
                   "    --ip-permissions "
                   "'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]'"),
             "Always give the job a `VpcConfig` with private subnets. If it "
             "needs no network at all, turn on network isolation "
             "(`EnableNetworkIsolation`)."),
        SEE(NC_EGRESS_BLOCKED, NC_NETWORK_ISOLATED, NC_REPO_NOT_BLOCKED),
    },

    [NC_AWS_ENDPOINT_UNREACHABLE] = {
        "Cannot reach an AWS service endpoint (STS, ECR, ...)",
        "Only if your code calls that service: STS (assume a role, get the caller identity), CloudWatch Logs or metrics written by your code, ECR, the SageMaker API. SageMaker collects the container's own log output without this path. A fact by default (verdict `info`); `NETCHECK_EXPECT=sts=reachable` (or `logs`, `api.ecr`, ...) makes it a failure.",
        "netcheck could not reach an AWS service endpoint such as "
        "`sts.REGION.amazonaws.com`, `logs`, `monitoring`, `api.ecr` or "
        "`api.sagemaker`: the name did not resolve, TCP timed out or was "
        "refused, or TLS failed. The report shows the addresses and their "
        "class: inside the VPC means an interface endpoint answers for the "
        "name, outside means the public service address.",
        LIST("No interface endpoint for the service and no NAT gateway: the "
             "name resolves to the public address, and the private subnets "
             "have no route to it.",
             "An interface endpoint exists, but private DNS is off on it, or "
             "the VPC's `enableDnsSupport` or `enableDnsHostnames` is off "
             "(private DNS needs both), so the standard name still resolves "
             "to the public address.",
             "The endpoint's security group does not allow inbound TCP 443 "
             "from the job's security group or subnets, or the job's "
             "security group does not allow outbound 443 to the endpoint.",
             "A network ACL on the endpoint's or the job's subnets drops the "
             "traffic.",
             "Your own DNS servers (custom DHCP options set) do not forward "
             "to the Amazon-provided resolver, so the endpoint's private DNS "
             "names are not visible to the job.",
             "The workload uses the global STS endpoint "
             "`sts.amazonaws.com`; interface endpoints serve the regional "
             "name `sts.REGION.amazonaws.com`."),
        LIST("Create an interface endpoint with private DNS for each service "
             "the job uses, in the job's subnets (service names "
             "`com.amazonaws.REGION.sts`, `.logs`, `.monitoring`, "
             "`.ecr.api`, `.ecr.dkr`, `.sagemaker.api`):",
             BLOCK("aws ec2 create-vpc-endpoint --vpc-id vpc-ID \\\n"
                   "    --vpc-endpoint-type Interface \\\n"
                   "    --service-name com.amazonaws.REGION.sts \\\n"
                   "    --subnet-ids subnet-ID --security-group-ids "
                   "sg-ENDPOINT \\\n"
                   "    --private-dns-enabled"),
             "Let the job's security group in on port 443 of the endpoint's "
             "security group:",
             BLOCK("aws ec2 authorize-security-group-ingress \\\n"
                   "    --group-id sg-ENDPOINT --protocol tcp --port 443 \\\n"
                   "    --source-group sg-JOB"),
             "Turn on DNS support and DNS hostnames for the VPC (private DNS "
             "needs both):",
             BLOCK("aws ec2 modify-vpc-attribute --vpc-id vpc-ID \\\n"
                   "    --enable-dns-support '{\"Value\":true}'\n"
                   "aws ec2 modify-vpc-attribute --vpc-id vpc-ID \\\n"
                   "    --enable-dns-hostnames '{\"Value\":true}'"),
             "Make SDKs that still default to the global STS endpoint use "
             "the regional one: `AWS_STS_REGIONAL_ENDPOINTS=regional`.",
             "Alternatively, if the job may use the internet, a NAT gateway "
             "reaches every public endpoint (see `EGRESS_BLOCKED`)."),
        SEE(NC_EGRESS_BLOCKED, NC_DNS_NXDOMAIN, NC_S3_NO_ROUTE,
            NC_TLS_HANDSHAKE),
    },

    [NC_PEER_DNS] = {
        "The name of another host of the job (algo-N) does not resolve",
        "In a multi-host job whose hosts talk to each other (Spark, Dask, MPI, torch.distributed). Hosts that work alone (inputs sharded by S3 key) do not need it: `NETCHECK_SKIP=peer`.",
        "The name of another host of the job (from `hosts` in "
        "resourceconfig.json, such as `algo-2`) did not resolve to an "
        "address, even after retrying until `--peer-wait` ran out.",
        LIST("The other host started late or not at all: the instances of "
             "one job can start minutes apart, and a host's name may not "
             "resolve until it is up.",
             "The image or the entrypoint replaced `/etc/hosts` or "
             "`/etc/resolv.conf` (or its search domains) that the runtime "
             "provides.",
             "netcheck ran outside a real job (local mode, a test) with a "
             "resourceconfig.json whose host names mean nothing on this "
             "network."),
        LIST("Check from inside the container with `getent hosts algo-2`, "
             "and compare `/etc/hosts` and `/etc/resolv.conf` with those of "
             "a container that does not change them.",
             "Do not overwrite `/etc/hosts` or `/etc/resolv.conf` in the "
             "image or the entrypoint.",
             "Check in the job's logs (one stream per host) that every host "
             "started; raise `--peer-wait` (default 120 seconds) if they "
             "start far apart."),
        SEE(NC_PEER_BLOCKED, NC_DNS_NXDOMAIN, NC_DNS_NO_RESOLVER),
    },

    [NC_PEER_BLOCKED] = {
        "TCP to another host timed out: security group or network ACL",
        "In a multi-host job whose hosts talk to each other (Spark, Dask, MPI, torch.distributed). Hosts that work alone (inputs sharded by S3 key) do not need it: `NETCHECK_SKIP=peer`.",
        "netcheck resolved the other host, but its TCP connections to the "
        "peer port got no answer at all (neither SYN-ACK nor reset) until "
        "`--peer-wait` ran out: the packets are dropped on the way. The "
        "message says whether the other host reached this one (one way "
        "only) or not (both ways).",
        LIST("Every pair of hosts is blocked both ways: the job's security "
             "group has no self-referencing inbound rule. Members of one "
             "security group can reach each other only if a rule allows "
             "traffic from the group itself; the VPC's default security "
             "group has such a rule, a new group does not.",
             "The self-referencing rule allows only some ports (for example "
             "a framework's port) and not netcheck's `--peer-port`.",
             "The job's security group has restricted outbound rules that "
             "allow neither the group itself nor the VPC's CIDR.",
             "Only one direction fails, or only the links of one host or one "
             "subnet: a network ACL. Every host of a processing job has the "
             "job's security groups (`VpcConfig.SecurityGroupIds`), so a "
             "security group cannot single out a host or a direction; the "
             "network ACL of a subnet in `VpcConfig.Subnets` can. A host that "
             "receives from no peer points at the inbound rules of its "
             "subnet's ACL, a host that reaches no peer at the outbound rules. "
             "Network ACLs are stateless: the replies on ports 1024-65535 "
             "need rules too.",
             "Two subnets of the job whose hosts cannot reach each other, "
             "while hosts inside each subnet can: the network ACLs between "
             "those subnets."),
        LIST("Run `netcheck merge` on every host's report: it names the "
             "pattern (every pair, one host, one subnet, one direction) and "
             "the rule to change.",
             "Every pair blocked: add self-referencing rules (all traffic from "
             "and to the group itself):",
             BLOCK("aws ec2 authorize-security-group-ingress --group-id sg-JOB "
                   "\\\n"
                   "    --ip-permissions "
                   "'IpProtocol=-1,UserIdGroupPairs=[{GroupId=sg-JOB}]'\n"
                   "aws ec2 authorize-security-group-egress --group-id sg-JOB "
                   "\\\n"
                   "    --ip-permissions "
                   "'IpProtocol=-1,UserIdGroupPairs=[{GroupId=sg-JOB}]'"),
             "One host, one subnet or one direction: read the network ACLs of "
             "every subnet in `VpcConfig.Subnets` and allow TCP on the peer "
             "port and the return ports 1024-65535 between them, inbound and "
             "outbound:",
             BLOCK("aws ec2 describe-network-acls \\\n"
                   "    --filters Name=association.subnet-id,Values=subnet-ID"),
             "VPC flow logs on the job's network interfaces show REJECT "
             "records for the dropped connections."),
        SEE(NC_PEER_REFUSED, NC_PEER_DNS, NC_PEER_PMTU_BLACKHOLE),
    },

    [NC_PEER_REFUSED] = {
        "Another host refused the connection: nothing listens on the port",
        "In a multi-host job whose hosts talk to each other; see `PEER_BLOCKED`.",
        "The other host answered TCP connections to the peer port with a "
        "reset (connection refused) until `--peer-wait` ran out: the host is "
        "reachable, but no netcheck listens there.",
        LIST("netcheck on that host had already finished its peer phase or "
             "exited (a shorter `--peer-wait`, or `--on-fail abort` after a "
             "failed check), or never ran because that host's container has "
             "another entrypoint.",
             "The hosts use different `--peer-port` values.",
             "netcheck on that host could not listen on the port because "
             "something else already uses it (that host's log says so).",
             "A firewall that rejects instead of dropping (for example an "
             "AWS Network Firewall stateful rule with the REJECT action) "
             "sends the reset. Security groups never send resets."),
        LIST("Run the same image, entrypoint and netcheck options (above all "
             "`--peer-port` and `--peer-wait`) on every host.",
             "Read the other host's netcheck log and report; `netcheck merge "
             "REPORT.json...` shows every host's view of every other.",
             "Choose a `--peer-port` that the workload does not use."),
        SEE(NC_PEER_BLOCKED, NC_PEER_NOT_NETCHECK),
    },

    [NC_PEER_NOT_NETCHECK] = {
        "The peer port answered, but not as this job's netcheck",
        "In a multi-host job whose hosts talk to each other; see `PEER_BLOCKED`.",
        "TCP to the other host's peer port connected, but what answered was "
        "not a netcheck of this job: no HELLO frame, a bad magic, another "
        "protocol version, or another job's name hash.",
        LIST("Another program listens on the peer port on that host: the "
             "workload or a framework service (for example a Spark or Dask "
             "worker) that started first.",
             "The hosts run netcheck versions with different peer protocol "
             "versions.",
             "The hosts belong to different jobs: a reused "
             "resourceconfig.json or a static host list outside SageMaker "
             "points at another job's instances."),
        LIST("Pick a `--peer-port` that nothing else uses, the same on every "
             "host.",
             "Build every host from the same image so that the netcheck "
             "versions match (`netcheck --version`)."),
        SEE(NC_PEER_REFUSED, NC_PEER_BLOCKED),
    },

    [NC_PEER_PMTU_BLACKHOLE] = {
        "Path MTU black hole: large packets to a peer are lost",
        "When the hosts exchange large messages (shuffles, all-reduce): small requests pass and large transfers hang.",
        "The connection to the other host and the HELLO exchange worked, but "
        "the bulk transfer stalled: small packets get through, full-size "
        "ones are dropped, and the ICMP \"fragmentation needed\" message "
        "that would make TCP send smaller packets never arrives.",
        LIST("The path between the hosts carries less than their interfaces' "
             "MTU (9001 bytes inside a VPC, or 1500): a firewall, an "
             "inspection appliance (AWS Network Firewall, a Gateway Load "
             "Balancer target) or a transit gateway (8500 bytes) routed "
             "between the job's subnets, a VPN or an overlay that adds "
             "headers.",
             "A network ACL, a security group or a firewall drops ICMP, "
             "including destination unreachable / fragmentation needed "
             "(type 3, code 4), so TCP never learns the smaller path MTU."),
        LIST("In a managed job the instances' MTU is not yours to change; "
             "the path is. Allow ICMP type 3 code 4 inbound in the job's "
             "security group (replace the CIDR with the VPC's) and in the "
             "network ACLs of its subnets:",
             BLOCK("aws ec2 authorize-security-group-ingress --group-id sg-JOB "
                   "\\\n"
                   "    --ip-permissions '[{\"IpProtocol\": \"icmp\", "
                   "\"FromPort\": 3,\n"
                   "      \"ToPort\": 4, \"IpRanges\": "
                   "[{\"CidrIp\": \"10.0.0.0/16\"}]}]'"),
             "Look at the route tables of the job's subnets: traffic between "
             "them should stay inside the VPC (the `local` route), not pass a "
             "firewall endpoint, an appliance or a transit gateway; if it must, "
             "have that device send ICMP \"fragmentation needed\" or clamp the "
             "TCP MSS.",
             "`netcheck merge` lists the paths that lose large packets; the "
             "report lists each interface's MTU. From inside a container, "
             "`tracepath HOST` shows where the path MTU drops."),
        SEE(NC_PEER_BLOCKED, NC_TLS_HANDSHAKE),
    },

    [NC_NETWORK_ISOLATED] = {
        "The container has only lo: network isolation is on",
        "Unless the job runs with `EnableNetworkIsolation` on purpose: netcheck reads it from the job config and then expects no network.",
        "The container's only network interface is the loopback `lo`: there "
        "is no route anywhere, so every network probe fails or is skipped.",
        LIST("The processing job was created with "
             "`NetworkConfig.EnableNetworkIsolation` set to true. The "
             "container then gets no outbound network access and no AWS "
             "credentials; SageMaker itself still downloads the inputs and "
             "uploads the outputs.",
             "Outside SageMaker: the container was started without a "
             "network (for example `docker run --network none`)."),
        LIST("If the job needs no network, this is the intended state and "
             "the other probes' results mean nothing.",
             "If it does need the network, check the job's network "
             "configuration and create it with isolation off and a "
             "`VpcConfig` (SageMaker Python SDK: "
             "`NetworkConfig(enable_network_isolation=False, subnets=[...], "
             "security_group_ids=[...])`):",
             BLOCK("aws sagemaker describe-processing-job \\\n"
                   "    --processing-job-name NAME --query NetworkConfig\n"
                   "aws sagemaker create-processing-job ... --network-config \\\n"
                   "    '{\"EnableNetworkIsolation\": false, \"VpcConfig\": "
                   "{\n"
                   "      \"Subnets\": [\"subnet-ID\"], "
                   "\"SecurityGroupIds\": [\"sg-JOB\"]}}'")),
        SEE(NC_CREDS_UNAVAILABLE, NC_EGRESS_UNEXPECTED, NC_DNS_NO_RESOLVER),
    },

    [NC_TIMEOUT_BUDGET] = {
        "The global --timeout ran out before the probe finished",
        "When the probe is required: the path is too slow or stalls. On an informational probe, only if your code uses it.",
        "The probe was still running when the global deadline (`--timeout`, "
        "default 15 seconds, covering every check except the peer phase) "
        "expired, so netcheck stopped it without a result. The probe had not "
        "failed on its own timeout; it did not get to finish.",
        LIST("The probe's steps (DNS, connect, TLS, then the S3 requests one "
             "after another) are each slow, and together they take longer "
             "than the budget.",
             "Slow DNS: a Resolver forwarding rule to distant or overloaded "
             "DNS servers, or retries across several nameservers.",
             "A slow path: an inspecting proxy or firewall, or packet loss "
             "that makes TCP retransmit.",
             "`--timeout` is set too low for this environment.",
             "A server accepted the connection, then answered too slowly or "
             "not at all (a stalled TLS handshake, a response that never "
             "ends): the outcome says `tls_timeout` or `response_timeout`.",
             "Peers: a " PEERPROTO_BULK_TEXT " transfer to a peer was partly acknowledged but "
             "not confirmed before `--peer-wait` (outcome `bulk_unanswered`): "
             "the peer or the path between the hosts is overloaded."),
        LIST("Look at the slowest probes in the report: `timings_ms` (dns, "
             "connect, tls, first_byte, total) shows which step takes the "
             "time, and the other codes here explain slow DNS or blocked "
             "paths.",
             "Raise the budget, for example `netcheck --timeout 30 -- "
             "COMMAND`."),
        SEE(NC_DNS_TIMEOUT, NC_S3_NO_ROUTE, NC_OK),
    },

    [NC_DNS_REFUSED] = {
        "The nameserver refused to resolve the name (REFUSED)",
        "On a name the job needs (tier `required`) the job fails at its first request. A custom DNS server that serves only the AWS names refuses public names by design: that matters only if your code needs them.",
        "A nameserver answered the query with REFUSED: it will not resolve "
        "this name for this client. The other servers, if any, did not "
        "resolve it either.",
        LIST("A custom DNS server (named in the DHCP options set) serves only "
             "some zones, such as the region's AWS names or a corporate "
             "domain, and refuses everything else: public names such as "
             "`pypi.org` are then refused by design.",
             "The server refuses recursion for the job's subnets (an access "
             "list such as BIND's `allow-recursion` that does not include "
             "them).",
             "A DNS firewall in front of the server answers REFUSED for the "
             "names it blocks."),
        LIST("If the job does not use the name, nothing needs to change: "
             "the probe is informational and its verdict is `info`.",
             "If it does, make the server forward the name (or everything it "
             "does not own) to the Amazon-provided resolver at the VPC's base "
             "address plus two, and allow recursion for the job's subnets; or "
             "give the VPC the Amazon-provided resolver in its DHCP options "
             "set.",
             "Compare with the Amazon-provided resolver from the same subnet:",
             BLOCK("dig @VPC-BASE+2 NAME\ndig @YOUR-DNS NAME")),
        SEE(NC_DNS_SERVFAIL, NC_DNS_NXDOMAIN, NC_EGRESS_BLOCKED),
    },

    [NC_CONFIG_INVALID] = {
        "netcheck could not use part of its configuration",
        "Always worth a look: netcheck skipped what it could not use, so the checks that depend on it did not run. In warn mode the workload still starts.",
        "A file SageMaker wrote (`processingjobconfig.json`, "
        "`resourceconfig.json`) has a field of a shape netcheck does not "
        "expect, is larger than 1 MiB or is not JSON; or lists more hosts "
        "than netcheck probes (512); or a `NETCHECK_*` setting in the job's "
        "Environment cannot be used (a syntax error, or an expectation that "
        "names no probe family or planned probe). The probe "
        "`config:FILE` lists every problem in `details.problems`; whatever "
        "could be used was used.",
        LIST("A `NETCHECK_EXPECT` or `NETCHECK_SKIP` value with a typo, or "
             "naming a target this job does not have (a bucket of another "
             "job, a service netcheck does not probe).",
             "SageMaker changed the format of its config files in a way this "
             "version of netcheck does not know.",
             "A local test wrote the config files by hand."),
        LIST("Fix the `NETCHECK_*` variables in the processing job's "
             "`Environment`; `netcheck --dry-run` lists every probe and the "
             "key each one answers to.",
             "For a SageMaker file: keep the file (it holds no secret) and "
             "report it to netcheck's maintainers; the checks that did not "
             "depend on the field ran as usual."),
        SEE(NC_OK),
    },

    [NC_LOCAL_RESOURCE] = {
        "netcheck ran out of descriptors or memory: probe not run",
        "Never about the network: the probe did not run, so its path is unknown, not broken. Worth fixing because the workload may run into the same limit.",
        "A step of the probe could not start inside the container: opening a "
        "socket, a file or netcheck's event loop failed with `EMFILE` (the "
        "process's open-file limit), `ENFILE` (the system's) or `ENOMEM`, "
        "`ENOBUFS` (memory). Nothing was sent, so the probe says nothing "
        "about the network: its verdict is `warn` (`info` on an "
        "informational probe), never `fail`, and no VPC change is suggested. "
        "Once netcheck has run out of something in a run, a later failure "
        "without an answer from the network (a DNS timeout, no connection, "
        "a TLS setup error) is reported the same way: it may be netcheck's "
        "own. So is a failure of a probe that signs (S3, the output write, "
        "STS) when the credentials could not be fetched for that reason: "
        "what it got without them says nothing about the job's access.",
        LIST("The open-file limit of the container or of the entrypoint is "
             "very low (`ulimit -n` of a few dozen): netcheck opens a socket "
             "per check in flight, the DNS checks one or two per nameserver, "
             "the peer check one per host of the job.",
             "The process that started netcheck left many descriptors open, "
             "and netcheck inherits them.",
             "The container is at its memory limit."),
        LIST("Look at the limit inside the container, and at what is open:",
             BLOCK("ulimit -n\n"
                   "ls /proc/self/fd | wc -l"),
             "Raise it before netcheck starts: `ulimit -n 4096` in the "
             "entrypoint script, or the container's `nofile` limit (`docker "
             "run --ulimit nofile=4096:4096`). The message names what ran "
             "out and, for descriptors, the limit netcheck had.",
             "Run netcheck again: the probes with this code were not tested."),
        SEE(NC_TIMEOUT_BUDGET, NC_OK),
    },

    [NC_S3_WRITE_DENIED_ENDPOINT_POLICY] = {
        "Endpoint policy does not allow s3:PutObject",
        "Always for an output location (probe `s3-write:BUCKET/PREFIX`, tier `required`): SageMaker uploads the outputs through this endpoint when the job ends, and the upload would fail after all the work is done.",
        "The write check (a zero-byte PutObject of "
        "`PREFIX/.netcheck/HOST-TIMESTAMP`, signed with the job's "
        "credentials) got 403 AccessDenied, and S3's message names the VPC "
        "endpoint policy: \"... is not authorized to perform: s3:PutObject on "
        "resource: ... because no VPC endpoint policy allows the s3:PutObject "
        "action\" or \"... with an explicit deny in a VPC endpoint policy\". "
        "Reads may still work: `s3:BUCKET` can pass while the upload is "
        "denied.",
        LIST("The endpoint policy allows `s3:GetObject` and `s3:ListBucket` "
             "but not `s3:PutObject`: a read-only policy, or one written for "
             "the inputs only.",
             "The policy allows `s3:PutObject` on other buckets or prefixes "
             "(`arn:aws:s3:::BUCKET/input/*`), not on the output's.",
             "A `Deny` statement (a repository block, a data-perimeter "
             "statement) matches `s3:PutObject` on this bucket."),
        LIST("Add `s3:PutObject` on the output's objects to an `Allow` "
             "statement of the S3 endpoint's policy (multipart uploads of "
             "large outputs also use `s3:AbortMultipartUpload` and "
             "`s3:ListMultipartUploadParts`):",
             BLOCK("{\n"
                   "  \"Sid\": \"AllowJobOutputs\",\n"
                   "  \"Effect\": \"Allow\",\n"
                   "  \"Principal\": \"*\",\n"
                   "  \"Action\": [\"s3:PutObject\", \"s3:AbortMultipartUpload\",\n"
                   "             \"s3:ListMultipartUploadParts\"],\n"
                   "  \"Resource\": \"arn:aws:s3:::BUCKET/PREFIX*\"\n"
                   "}"),
             "Apply it with `aws ec2 modify-vpc-endpoint --vpc-endpoint-id "
             "vpce-ID --policy-document file://endpoint-policy.json`, "
             "keeping the statements that are already there."),
        SEE(NC_S3_DENIED_ENDPOINT_POLICY, NC_S3_WRITE_DENIED, NC_S3_WRITE_KMS_DENIED),
    },

    [NC_S3_WRITE_DENIED] = {
        "S3 refused the job's upload: bucket policy or IAM",
        "Always for an output location (tier `required`): the outputs would not reach S3 when the job ends. A warning when S3 accepts the upload only with SSE-KMS and the job names no key.",
        "The zero-byte PutObject under the output's prefix got 403 "
        "AccessDenied, and S3's message does not name the VPC endpoint "
        "policy. For callers of the bucket owner's account or organization "
        "S3 names the policy kind (\"... with an explicit deny in a "
        "resource-based policy\", \"... because no identity-based policy "
        "allows the s3:PutObject action\"); otherwise it says only \"Access "
        "Denied\". A bucket policy that denies unencrypted uploads answers "
        "the same way: when the job's ProcessingOutputConfig has no "
        "`KmsKeyId`, netcheck then tries the upload once more with "
        "`x-amz-server-side-encryption: aws:kms`; if S3 accepts that one, the "
        "bucket requires SSE-KMS and the verdict is `warn` (whether "
        "SageMaker's own upload asks for SSE-KMS without a key is not "
        "documented for processing jobs).",
        LIST("A bucket policy statement such as `Deny s3:PutObject` with "
             "`StringNotEquals s3:x-amz-server-side-encryption aws:kms` (deny "
             "unencrypted uploads), or with "
             "`s3:x-amz-server-side-encryption-aws-kms-key-id` naming another "
             "key than the job's `KmsKeyId`.",
             "The execution role's IAM policy allows `s3:GetObject` but not "
             "`s3:PutObject` on the output prefix.",
             "A bucket in another account whose bucket policy does not grant "
             "the role `s3:PutObject`; or a condition on `aws:SourceVpce` or "
             "`aws:SourceVpc` that this VPC's path does not meet.",
             "Object Ownership or ACL conditions (`s3:x-amz-acl`, "
             "`bucket-owner-full-control`) that the upload does not meet."),
        LIST("Read the denying statement: the report's "
             "`details.put_refused.s3_message` names the policy kind for "
             "callers of the bucket's account.",
             BLOCK("aws s3api get-bucket-policy --bucket BUCKET --query Policy \\\n"
                   "    --output text | python3 -m json.tool"),
             "For an encryption requirement, set the job's "
             "`ProcessingOutputConfig.KmsKeyId` (the SDK's `output_kms_key`) "
             "to the key the policy requires, so that every upload asks for "
             "SSE-KMS with it.",
             "Otherwise allow `s3:PutObject` on `arn:aws:s3:::BUCKET/PREFIX*` "
             "to the execution role, in its IAM policy and, for a bucket of "
             "another account, in the bucket policy."),
        SEE(NC_S3_WRITE_DENIED_ENDPOINT_POLICY, NC_S3_WRITE_KMS_DENIED, NC_S3_DENIED),
    },

    [NC_S3_WRITE_KMS_DENIED] = {
        "The job's upload fails on its KMS key",
        "Always for an output location of a job with `ProcessingOutputConfig.KmsKeyId` (tier `required`): S3 encrypts every upload with that key as the job's role, and fails the upload when the role may not use it.",
        "The PutObject, sent with `x-amz-server-side-encryption: aws:kms` and "
        "`x-amz-server-side-encryption-aws-kms-key-id` (the job's "
        "`KmsKeyId`), was refused for the key: 403 AccessDenied with a "
        "message that names a KMS action (\"... is not authorized to perform: "
        "kms:GenerateDataKey on resource: arn:aws:kms:...\"), or an error "
        "code of the `KMS.` family: `KMS.NotFoundException` (no such key in "
        "the bucket's Region), `KMS.DisabledException`, "
        "`KMS.KMSInvalidStateException` (pending deletion or import).",
        LIST("The execution role's IAM policy, or the key policy, does not "
             "allow `kms:GenerateDataKey` on the key (uploads in parts, which "
             "SageMaker uses for large outputs, also need `kms:Decrypt`).",
             "The key is in another account and its key policy does not "
             "grant the role; or `KmsKeyId` is a key ID or alias, which S3 "
             "looks up in the role's own account.",
             "The key is in another Region than the bucket, disabled, or "
             "scheduled for deletion."),
        LIST("Allow the role on the key, in both its IAM policy and the key "
             "policy:",
             BLOCK("{\n"
                   "  \"Effect\": \"Allow\",\n"
                   "  \"Action\": [\"kms:GenerateDataKey\", \"kms:Decrypt\"],\n"
                   "  \"Resource\": \"arn:aws:kms:REGION:ACCOUNT:key/KEY-ID\"\n"
                   "}"),
             "Name a key of another account by its key ARN, in the bucket's "
             "Region. S3 calls KMS itself: the job needs no route or "
             "interface endpoint to KMS for its uploads.",
             BLOCK("aws kms describe-key --key-id KEY \\\n"
                   "    --query 'KeyMetadata.[Arn,KeyState]'")),
        SEE(NC_S3_WRITE_DENIED, NC_S3_WRITE_DENIED_ENDPOINT_POLICY),
    },

    [NC_S3_WRITE_MARKER_KEPT] = {
        "The upload works; the zero-byte marker stayed in S3",
        "Never for the job's outputs: the write succeeded (verdict `pass`). It is a note that the marker object is still in the bucket.",
        "After a successful PutObject of `PREFIX/.netcheck/HOST-TIMESTAMP`, "
        "the DeleteObject that removes it was refused or got no answer. In a "
        "versioned bucket netcheck deletes the marker's version "
        "(`?versionId=`); when that is refused it sends a plain DeleteObject, "
        "which hides the marker behind a delete marker and leaves its "
        "version. The report's `details.marker` says where it is, and "
        "`details.delete_refused` what S3 answered.",
        LIST("The role may `s3:PutObject` but not `s3:DeleteObject` (or "
             "`s3:DeleteObjectVersion` in a versioned bucket): common for "
             "write-only output roles.",
             "The bucket has S3 Object Lock with a default retention: every "
             "new object version is locked, and deleting it gets \"Access "
             "Denied because object protected by object lock.\" until the "
             "retention ends.",
             "A bucket policy that denies deletes (a data-protection "
             "statement)."),
        LIST("Nothing to fix for the job. To remove the marker:",
             BLOCK("aws s3api delete-object --bucket BUCKET \\\n"
                   "    --key PREFIX/.netcheck/HOST-TIMESTAMP [--version-id V]"),
             "or let the role delete what netcheck writes "
             "(`s3:DeleteObject` and `s3:DeleteObjectVersion` on "
             "`arn:aws:s3:::BUCKET/PREFIX.netcheck/*`), or expire the "
             "`.netcheck/` objects with a lifecycle rule, or turn the write "
             "check off with `--skip s3-write` (`NETCHECK_SKIP=s3-write`)."),
        SEE(NC_S3_WRITE_DENIED, NC_OK),
    },
};

/* ---- fix templates ----
 * The `remediation` a probe reports: one sentence per case, its facts in
 * named slots (diag_fix() fills them; diag.h). Variant "" is the code's
 * default; the others are the cases a probe tells apart, named after the
 * case ("inside_vpc") or the family whose wording differs ("repo"). A code
 * with `like` set also uses that code's variants (a write's denial is fixed
 * as a read's). Fragments a template takes as a slot ("sse_hint") are kept
 * here too, so that every word of advice lives in this table. */
struct diag_fix_text {
  const char *variant;
  const char *text;
};

struct diag_fixes {
  enum nc_code like; /* NC_OK: none */
  const struct diag_fix_text *t; /* {NULL, NULL}-terminated */
};

#define FIXES(...) {.t = (const struct diag_fix_text[]){__VA_ARGS__, {NULL, NULL}}}
#define FIXES_LIKE(code, ...)                                                                      \
  {.like = (code), .t = (const struct diag_fix_text[]){__VA_ARGS__, {NULL, NULL}}}

static const struct diag_fixes diag_fixes[NC_CODE_COUNT] = {
    [NC_OK] = FIXES({"", ""}),

    [NC_DNS_NO_RESOLVER] = FIXES(
        {"", "No nameserver answers: run the container with the VPC's default DNS "
             "(AmazonProvidedDNS) in /etc/resolv.conf."},
        {"dns", "the container has no nameserver: SageMaker writes /etc/resolv.conf from the "
                "VPC's DHCP options set, so give it domain-name-servers AmazonProvidedDNS and "
                "enable enableDnsSupport and enableDnsHostnames on the VPC; or name one with "
                "--dns-server"}),

    [NC_DNS_TIMEOUT] = FIXES(
        {"", "The resolver did not answer: the security group and network ACL must allow UDP "
             "and TCP 53 to the VPC resolver (the VPC CIDR base +2)."},
        {"dns", "the nameserver does not answer: allow UDP and TCP port 53 to it in the "
                "security group and network ACL, and check that it runs (the AmazonProvidedDNS "
                "is the VPC CIDR base +2 or 169.254.169.253 and needs enableDnsSupport on the "
                "VPC); or name a working one with --dns-server"}),

    [NC_DNS_NXDOMAIN] = FIXES(
        {"", "The VPC resolver says the name does not exist: keep the VPC's DNS resolution "
             "(enableDnsSupport) on and the job on the default resolver (AmazonProvidedDNS, the "
             "VPC CIDR base +2); a private hosted zone or a Route 53 Resolver rule for "
             "amazonaws.com can hide public names."},
        {"dns_bucket", "the VPC's resolver cannot resolve AWS names: use the AmazonProvidedDNS "
                       "(VPC CIDR base +2) or forward {suffix} to it; check the DHCP options "
                       "set and enableDnsSupport. A private hosted zone for {s3_host} (e.g. "
                       "made for an S3 interface endpoint) also needs the wildcard record "
                       "*.{s3_host} for bucket names"},
        {"dns_aws", "the VPC's resolver cannot resolve AWS names: use the AmazonProvidedDNS (VPC "
                    "CIDR base +2) or forward {suffix} to it; check the DHCP options set and "
                    "enableDnsSupport"},
        {"dns_name", "the VPC's resolver cannot resolve {name}: check the name, the DHCP "
                     "options set's domain-name-servers and any Route 53 Resolver rule or "
                     "private hosted zone covering it (AmazonProvidedDNS resolves public names "
                     "even without a NAT gateway)"},
        {"dns_nodata", "{name} exists but has no address record at this resolver: a private "
                       "hosted zone or Route 53 Resolver rule shadows it; add the record (for an "
                       "interface endpoint, enable its private DNS) or remove the zone so that "
                       "the AmazonProvidedDNS (VPC CIDR base +2) answers"}),

    [NC_DNS_SERVFAIL] = FIXES(
        {"", "The resolver failed to answer: check the DHCP options set's domain-name-servers "
             "and any Route 53 Resolver forwarding rule for this zone."},
        {"dns", "the nameserver fails to resolve {name}: if it is a custom DNS server, make it "
                "forward {zone} to the AmazonProvidedDNS (VPC CIDR base +2); check Route 53 "
                "Resolver outbound endpoints and forwarding rules, and DNS Firewall rules for "
                "the domain"}),

    [NC_DNS_REFUSED] = FIXES(
        {"", "The resolver refused to resolve the name: a custom DNS server that serves only "
             "some zones, or one that refuses this subnet; make it forward the name to the "
             "AmazonProvidedDNS (the VPC CIDR base +2), or use the AmazonProvidedDNS."},
        {"dns", "the nameserver refuses to resolve {name}: a custom DNS server that serves only "
                "some zones, or one that refuses this subnet; if the job needs the name, make "
                "the server forward {zone} to the AmazonProvidedDNS (VPC CIDR base +2) and allow "
                "the VPC CIDR in its access list, or use the AmazonProvidedDNS through the DHCP "
                "options set"}),

    [NC_S3_NO_ROUTE] = FIXES(
        {"", "no route to S3 from this subnet: add an S3 gateway endpoint ({service}) to the "
             "subnet's route table, or check the security group's outbound rules and the "
             "network ACL allow HTTPS (443) to the S3 prefix list"},
        {"inside_vpc", "{address} is an address inside the VPC (an S3 interface endpoint): the "
                       "endpoint's security group must allow inbound HTTPS (443) from this "
                       "subnet, and this subnet's security group and network ACL must allow it "
                       "outbound"},
        {"proxy", "the HTTP proxy has no path to S3: reach S3 through an S3 gateway endpoint on "
                  "the subnet's route table instead (add .amazonaws.com to NO_PROXY)"},
        {"repo", "Add the S3 gateway endpoint ({service}) to the route table of the job's "
                 "subnets, and allow outbound TCP 443 to its prefix list in the job's security "
                 "group."}),

    [NC_S3_DENIED_ENDPOINT_POLICY] = FIXES(
        {"", "the S3 endpoint's policy must allow {action} on {arn}: add "
             "arn:{partition}:s3:::{bucket} and arn:{partition}:s3:::{bucket}/* to the Resource "
             "list of an Allow statement in the S3 VPC endpoint's policy (s3:ListBucket on the "
             "bucket, s3:GetObject and s3:PutObject on its objects)"},
        {"deny", "a Deny statement in the S3 VPC endpoint's policy matches {action} on {arn}: "
                 "narrow it so that the job's buckets are not matched (the deny for the Amazon "
                 "Linux repository buckets must name only those buckets)"},
        {"repo", "The S3 endpoint policy denies s3:GetObject on arn:{partition}:s3:::{bucket}/*: "
                 "remove that Deny if this job must install Amazon Linux packages."}),

    [NC_S3_DENIED] = FIXES(
        {"", "the S3 endpoint's policy must allow {action} on {arn}; the execution role's IAM "
             "policy must allow it too; a bucket policy that tests aws:SourceVpce or "
             "aws:SourceVpc must name this VPC's S3 endpoint or this VPC, and a bucket in "
             "another account must grant the role in its bucket policy{sse_hint}"},
        {"anonymous", "no credentials were found, so the request was anonymous: run with the "
                      "job's execution role (the container credentials endpoint) to learn which "
                      "policy denies; the job itself needs the S3 endpoint's policy to allow "
                      "s3:ListBucket on arn:{partition}:s3:::{bucket} and s3:GetObject on "
                      "arn:{partition}:s3:::{bucket}/*, and a bucket policy that allows the role "
                      "(and, if it tests aws:SourceVpce or aws:SourceVpc, names this VPC's "
                      "endpoint)"},
        {"identity", "the job's execution role's IAM policy must allow {action} on {arn}, and "
                     "no Deny in it may match"},
        {"resource", "the bucket policy must allow {action} on {arn} to the job's execution "
                     "role; if it tests aws:SourceVpce or aws:SourceVpc, it must name this VPC's "
                     "S3 endpoint or this VPC{sse_hint}"},
        {"scp", "the service control policies of the account's organization must allow {action} "
                "on {arn} (ask the organization's administrators)"},
        {"rcp", "the resource control policies of the bucket owner's organization must allow "
                "{action} on {arn} (ask the organization's administrators){sse_hint}"},
        {"boundary", "the execution role's permissions boundary must allow {action} on {arn}"},
        {"session", "the session policy the credentials were issued with must allow {action} on "
                    "{arn}"}),

    [NC_S3_NO_SUCH_BUCKET] = FIXES(
        {"", "check the bucket name in the job's S3 inputs and outputs (or --bucket and "
             "--config): the request reached S3, so the network path works"},
        {"invalid_name", "fix the bucket name in the job's S3 URIs, --bucket or --config"}),

    [NC_S3_WRONG_REGION] = FIXES(
        {"", "S3 gateway and interface endpoints serve only buckets in their own Region: the "
             "job runs in {region} but the bucket is in {bucket_region}; use a bucket in "
             "{region}, or give the subnet a path to S3 in {bucket_region} (a NAT gateway: "
             "cross-Region requests do not use the endpoint); if the job's Region is wrong, "
             "pass --region"},
        {"redirect", "S3 gateway and interface endpoints serve only buckets in their own "
                     "Region: use a bucket in {region}, or pass --region with the bucket's "
                     "Region"}),

    [NC_S3_SIGNATURE_MISMATCH] = FIXES(
        {"", "the secret key does not belong to the access key, or something between the job "
             "and S3 rewrote the request (an HTTP proxy changing the Host or headers): send S3 "
             "traffic straight through the S3 gateway endpoint (add .amazonaws.com to NO_PROXY) "
             "and check where the credentials come from"}),

    [NC_TLS_UNTRUSTED] = FIXES(
        {"", "The server's certificate is not trusted: a proxy or firewall inspects TLS, or the "
             "CA bundle is wrong; exempt this host from TLS inspection or pass the inspecting CA "
             "with --ca-bundle (AWS_CA_BUNDLE for the AWS SDKs)."}),

    [NC_TLS_HANDSHAKE] = FIXES(
        {"", "The TLS handshake failed: a firewall filtering by server name (SNI), or a proxy "
             "the job must use (HTTPS_PROXY), is in the way."}),

    [NC_CLOCK_SKEW] = FIXES(
        {"", "fix the instance's time synchronization: the Amazon Time Sync Service at "
             "169.254.169.123 (link-local, always reachable from the instance), or NTP over UDP "
             "123 allowed outbound by the security group and network ACL; a container shares "
             "the host's clock"},
        {"s3", "the container's clock is wrong: fix the instance's time synchronization (the "
               "Amazon Time Sync Service at 169.254.169.123, or NTP over UDP 123 allowed by the "
               "security group and network ACL); the clock probe reports the measured skew"},
        {"sts", "The container's clock is too far from AWS time for SigV4 (15 minutes): sync "
                "the host with the Amazon Time Sync Service (169.254.169.123) or NTP."}),

    [NC_CREDS_UNAVAILABLE] = FIXES(
        {"", "the credentials come from the processing job's IAM role (RoleArn), through the "
             "container credentials endpoint 169.254.170.2, which answers only inside "
             "SageMaker: check that the role exists and that its trust policy lets "
             "sagemaker.amazonaws.com assume it (sts:AssumeRole); check that nothing in the "
             "container (a firewall rule, a changed route) blocks 169.254.170.2 (netcheck, like "
             "the AWS SDKs, never asks it through a proxy)"},
        {"env_invalid", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN "
                        "for temporary keys) to the values the AWS SDKs expect, one line each, "
                        "or unset them all (the job's IAM role is then used)"},
        {"misconfigured", "fix the container's environment: SageMaker sets "
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI itself; "
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI, when set, needs https, or http "
                          "to a loopback or container credentials address, and a readable "
                          "one-line token in AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or "
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN"},
        {"s3", "{why}: SageMaker gives the job its execution role through the container "
               "credentials endpoint (169.254.170.2); AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY "
               "or AWS_SESSION_TOKEN set in the job's environment override it and must be "
               "removed or refreshed"},
        {"why_unknown_key", "the access key is unknown to AWS (deleted, a placeholder, or from "
                            "another partition)"},
        {"why_bad_token", "the session token is expired or invalid"},
        {"sts", "STS rejected the job's credentials ({error}): check the execution role and "
                "where the credentials come from (the container credentials endpoint, or "
                "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN together); "
                "temporary credentials need their session token and expire."}),

    [NC_REPO_NOT_BLOCKED] = FIXES(
        {"", "Add this statement to the S3 gateway endpoint's policy of the job's VPC (the AWS "
             "example policy misses the amazonlinux-2-repos-* and al2023-repos-* buckets of "
             "Amazon Linux 2 and 2023): {statement}"}),

    [NC_EGRESS_BLOCKED] = FIXES(
        {"", "If the job needs the internet: put a NAT gateway in a public subnet, route "
             "0.0.0.0/0 from the job's private subnets to it, and allow outbound TCP 443 in the "
             "job's security group and network ACL (AWS services are better reached through "
             "interface endpoints).{dns_advice}"}),

    [NC_EGRESS_UNEXPECTED] = FIXES(
        {"", "The job was meant to be isolated but reached {host}: remove the 0.0.0.0/0 route "
             "to a NAT or internet gateway from the job's subnets, limit the security group's "
             "outbound rules to the VPC endpoints, or run the job with network isolation "
             "(EnableNetworkIsolation)."},
        {"aws", "The job was expected not to reach {host}: remove the interface endpoint "
                "{service} from its subnets (or deny it in the endpoint policy) and the "
                "0.0.0.0/0 route to a NAT gateway."}),

    [NC_AWS_ENDPOINT_UNREACHABLE] = FIXES(
        {"", "Create an interface VPC endpoint {service} in the job's subnets with private DNS "
             "enabled, and let its security group allow inbound TCP 443 from the job's security "
             "group (or route 0.0.0.0/0 from the job's subnets to a NAT gateway)."},
        {"inside_vpc", "{host} resolves to {address} inside the VPC (an interface endpoint) but "
                       "does not connect: the endpoint's security group must allow inbound TCP "
                       "443 from the job's security group, and the job's security group and "
                       "network ACL must allow outbound TCP 443 to it."},
        {"dns", "{dns_advice} An interface endpoint {service} with private DNS enabled makes "
                "{host} resolve to addresses inside the VPC."}),

    [NC_PEER_DNS] = FIXES(
        {"", "SageMaker writes the job's host names (algo-1..N) into /etc/hosts of every "
             "container: make sure {peer} is one of this job's hosts, that nothing replaces "
             "/etc/hosts or the system resolver (a custom --dns-server must answer these "
             "names), and that DNS resolution is enabled on the VPC (enableDnsSupport)."}),

    [NC_PEER_BLOCKED] = FIXES(
        {"", "Give the job's security group a self-referencing inbound rule (all traffic, or at "
             "least TCP {port}, from the security group itself), and make sure the network ACLs "
             "of the job's subnets allow TCP between them in both directions, including the "
             "return traffic on ports 1024-65535."},
        {"one_way", "Allow inbound TCP {port} from {from}'s subnet in the network ACL of {to}'s "
                    "subnet, and outbound TCP {port} to {to}'s subnet in the network ACL of "
                    "{from}'s subnet, with the replies on ports 1024-65535 both ways: {to} "
                    "reaches {from} but not the other way round, and every host of the job has "
                    "the same security groups, so it is not the self-referencing rule."}),

    [NC_PEER_REFUSED] = FIXES(
        {"", "Run netcheck as the entrypoint on every instance of the job with the same "
             "--peer-port ({port}); if another program holds the port on {peer}, choose another "
             "--peer-port for every host."}),

    [NC_PEER_NOT_NETCHECK] = FIXES(
        {"", "Another program (or netcheck of another job) listens on port {port} of {peer}: "
             "choose a free --peer-port for every host of the job."}),

    [NC_PEER_PMTU_BLACKHOLE] = FIXES(
        {"", "Allow ICMP 'fragmentation needed' (type 3, code 4) in the job's security group "
             "and in the network ACLs of its subnets, and look for a firewall, inspection "
             "appliance or transit gateway (8500-byte MTU) routed between the hosts' subnets: "
             "large packets between {self} and {peer} vanish while small ones pass, and a "
             "managed job's instance MTU is not yours to change, the path's is."}),

    [NC_NETWORK_ISOLATED] = FIXES(
        {"", "the container has no network: if the job needs S3, peers or AWS endpoints, set "
             "EnableNetworkIsolation to false in the processing job's NetworkConfig"}),

    [NC_TIMEOUT_BUDGET] = FIXES(
        {"", "The deadline cut the probe short: raise --timeout, and compare the DNS and "
             "connect timings of the other probes to find the slow step."}),

    [NC_CONFIG_INVALID] = FIXES(
        {"", "SageMaker wrote {file}: netcheck ran every check it could without the fields "
             "named here; if the file is as SageMaker writes it, report it to netcheck's "
             "maintainers with the file (it holds no secret)"},
        {"env", "fix the NETCHECK_* variables in the processing job's Environment (netcheck "
                "--help lists their syntax; --dry-run shows the probes they can name); the "
                "checks ran without them"}),

    [NC_LOCAL_RESOURCE] = FIXES(
        {"", "Raise the open-file limit of the process that starts netcheck (ulimit -n 4096 in "
             "the entrypoint, or the container's nofile limit) and leave it memory, then run "
             "again; nothing in the VPC needs to change for this result."}),

    [NC_S3_WRITE_DENIED_ENDPOINT_POLICY] = FIXES_LIKE(NC_S3_DENIED_ENDPOINT_POLICY, {NULL, NULL}),

    [NC_S3_WRITE_DENIED] = FIXES_LIKE(
        NC_S3_DENIED,
        {"sse_hint", "; a bucket policy that denies uploads without SSE-KMS (a condition on "
                     "s3:x-amz-server-side-encryption) or with another key (on "
                     "s3:x-amz-server-side-encryption-aws-kms-key-id) refuses the job's outputs "
                     "unless ProcessingOutputConfig.KmsKeyId names the key it requires"},
        {"kms_required", "set ProcessingOutputConfig.KmsKeyId to the KMS key the bucket policy "
                         "requires (the SDK's output_kms_key), so that every upload of the "
                         "job's outputs asks for SSE-KMS; the execution role needs "
                         "kms:GenerateDataKey and kms:Decrypt on it"}),

    [NC_S3_WRITE_KMS_DENIED] = FIXES(
        {"", "the execution role needs {action} on the KMS key {key}, allowed by both its IAM "
             "policy and the key policy (a key in another account must grant the role in its "
             "key policy); outputs that SageMaker uploads in parts also need kms:Decrypt. S3 "
             "calls KMS itself: the job needs no route to KMS"},
        {"not_found", "S3 found no usable key {key} in {region}: ProcessingOutputConfig.KmsKeyId "
                      "must name a key in the bucket's Region (a key ID or alias is looked up in "
                      "the role's account; name a key in another account by its key ARN)"},
        {"disabled", "the KMS key {key} is disabled or pending deletion: enable it (or cancel "
                     "its deletion), or name another key in ProcessingOutputConfig.KmsKeyId"}),

    [NC_S3_WRITE_MARKER_KEPT] = FIXES(
        {"", "nothing to fix for the job's outputs (the write works): remove the marker (aws "
             "s3api delete-object --bucket {bucket} --key {key}{version_arg}), let the role "
             "delete what it writes there (s3:DeleteObject{version_action} on "
             "arn:{partition}:s3:::{bucket}/{dir}*), or expire {dir} with a lifecycle rule; "
             "--skip s3-write turns the check off"}),
};

/* Paragraphs before the index of docs/diagnoses.md. */
static const char *const diag_md_intro[] = {
    "Every probe in a netcheck report has a `code`: `OK` when the probe met "
    "its expectation, otherwise the diagnosis that best explains what "
    "netcheck saw on the wire. The probe's `message` and `remediation` give "
    "the short version; the page for each code below says when it matters "
    "for the job, what netcheck observed, the likely causes in VPC terms, "
    "the fix, and related codes. `netcheck explain CODE` prints the same page "
    "as plain text (CODE is not case-sensitive).",
    "Whether a code fails the job depends on the probe's `tier`: a "
    "`required` probe (the job's buckets, credentials, peers, clock) fails "
    "the verdict; a `policy` probe (the Amazon Linux repositories blocked) "
    "warns; an `informational` probe (AWS service endpoints, internet "
    "egress, names only those use) reports its code with the verdict `info`: "
    "a fact, with the fix to apply if the job needs that path. An "
    "expectation in the job's Environment (`NETCHECK_EXPECT=sts=reachable`), "
    "`--config` or `--expect` makes a probe required.",
    "The pages follow the SageMaker guidance for processing jobs in a private "
    "VPC: an S3 gateway endpoint on the subnets' route tables, an endpoint "
    "policy that denies the Amazon Linux repositories, default DNS, a "
    "security group whose members can reach each other, interface endpoints "
    "for other AWS services and a NAT gateway for the internet. In commands, "
    "replace `REGION`, `vpc-ID`, `sg-JOB` and the like with your own values.",
    "Each page ends with the code's remediation templates: the one place the "
    "text of a report's `remediation` is written. A probe names the template "
    "(the default, or a variant for a case it tells apart) and passes the "
    "facts; `diag_fix()` fills the `{slot}`s.",
    "This file is generated from agent/diag.c (`diag_markdown()`); "
    "tests/unit/test_diag.c checks that the two match, and rewrites the file "
    "when run with `NETCHECK_UPDATE_DOCS=1`.",
    NULL,
};

// clang-format on

enum diag_style { DIAG_TEXT, DIAG_MARKDOWN };

/* Word-wrapping writer for one paragraph or list item. */
struct diag_para {
  FILE *out;
  enum diag_style style;
  const char *indent; /* written before every continuation line */
  size_t col;
  int words;
};

static int diag_valid(enum nc_code code) { return (unsigned)code < (unsigned)NC_CODE_COUNT; }

/* Columns the word takes once rendered: plain text drops the backticks. */
static size_t diag_word_cols(const struct diag_para *p, const char *w, size_t n) {
  size_t cols = n;
  if (p->style == DIAG_TEXT)
    for (size_t i = 0; i < n; i++)
      if (w[i] == '`')
        cols--;
  return cols;
}

/* True when a Markdown line starting with this word would open a new block
 * (list item, heading, quote, table row) instead of continuing the text. */
static int diag_md_opens_block(const char *w, size_t n) {
  size_t i = 0;
  if (n == 1 && (w[0] == '-' || w[0] == '+' || w[0] == '*'))
    return 1;
  if (w[0] == '#' || w[0] == '>' || w[0] == '|' || w[0] == '=')
    return 1;
  while (i < n && w[i] >= '0' && w[i] <= '9')
    i++;
  return i > 0 && i + 1 == n && (w[i] == '.' || w[i] == ')');
}

static void diag_para_open(struct diag_para *p, FILE *out, enum diag_style style, const char *first,
                           const char *indent) {
  p->out = out;
  p->style = style;
  p->indent = indent;
  p->col = strlen(first);
  p->words = 0;
  fputs(first, out);
}

static void diag_para_word(struct diag_para *p, const char *w, size_t n) {
  size_t cols = diag_word_cols(p, w, n);
  if (p->words > 0) {
    if (p->col + 1 + cols > DIAG_WRAP_COLS &&
        !(p->style == DIAG_MARKDOWN && diag_md_opens_block(w, n))) {
      fputc('\n', p->out);
      fputs(p->indent, p->out);
      p->col = strlen(p->indent);
    } else {
      fputc(' ', p->out);
      p->col++;
    }
  }
  for (size_t i = 0; i < n; i++)
    if (p->style == DIAG_MARKDOWN || w[i] != '`')
      fputc(w[i], p->out);
  p->col += cols;
  p->words++;
}

static void diag_para_text(struct diag_para *p, const char *text) {
  while (*text) {
    size_t n = strcspn(text, " \n");
    if (n > 0)
      diag_para_word(p, text, n);
    text += n;
    if (*text)
      text++;
  }
}

static void diag_para_close(struct diag_para *p) { fputc('\n', p->out); }

/* Writes a paragraph: `first` before the first line, `indent` before the
 * others. */
static void diag_put_para(FILE *out, enum diag_style style, const char *first, const char *indent,
                          const char *text) {
  struct diag_para p;
  diag_para_open(&p, out, style, first, indent);
  diag_para_text(&p, text);
  diag_para_close(&p);
}

static void diag_put_verbatim(FILE *out, enum diag_style style, const char *block) {
  const char *indent = style == DIAG_MARKDOWN ? "  " : "      ";
  if (style == DIAG_MARKDOWN)
    fprintf(out, "\n  ```%s\n", block[0] == '{' ? "json" : "sh");
  while (*block) {
    size_t n = strcspn(block, "\n");
    fprintf(out, "%s%.*s\n", indent, (int)n, block);
    block += n;
    if (*block)
      block++;
  }
  if (style == DIAG_MARKDOWN)
    fputs("  ```\n", out);
}

/* Writes a bullet list; verbatim items belong to the bullet before them. */
static void diag_put_list(FILE *out, enum diag_style style, const char *const *items) {
  int after_block = 0;
  for (; *items; items++) {
    if ((*items)[0] == DIAG_VERBATIM_MARK) {
      diag_put_verbatim(out, style, *items + 1);
      after_block = 1;
      continue;
    }
    if (style == DIAG_MARKDOWN) {
      if (after_block)
        fputc('\n', out);
      diag_put_para(out, style, "- ", "  ", *items);
    } else {
      diag_put_para(out, style, "  - ", "    ", *items);
    }
    after_block = 0;
  }
}

/* GitHub's anchor for a "## NAME" heading: the name in lower case. */
static void diag_anchor(char *dst, size_t size, const char *name) {
  size_t i;
  for (i = 0; name[i] && i + 1 < size; i++)
    dst[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
  dst[i] = '\0';
}

static void diag_put_see_also(FILE *out, enum diag_style style, const enum nc_code *codes) {
  struct diag_para p;
  diag_para_open(&p, out, style, style == DIAG_MARKDOWN ? "**See also:** " : "See also: ",
                 style == DIAG_MARKDOWN ? "" : "  ");
  for (; *codes != NC_CODE_COUNT; codes++) {
    const char *name = diag_names[*codes];
    const char *sep = codes[1] != NC_CODE_COUNT ? "," : "";
    char word[128];
    int len;
    if (style == DIAG_MARKDOWN) {
      char anchor[64];
      diag_anchor(anchor, sizeof(anchor), name);
      len = snprintf(word, sizeof(word), "[`%s`](#%s)%s", name, anchor, sep);
    } else {
      len = snprintf(word, sizeof(word), "%s%s", name, sep);
    }
    if (len > 0 && (size_t)len < sizeof(word))
      diag_para_word(&p, word, (size_t)len);
  }
  diag_para_close(&p);
}

/* docs/diagnoses.md only: the fix templates of the report's `remediation`
 * (the explain pages stay as they are). */
static void diag_put_fix_templates(FILE *out, enum nc_code code) {
  const struct diag_fixes *f = &diag_fixes[code];
  fputc('\n', out);
  diag_put_para(out, DIAG_MARKDOWN, "", "",
                "**Remediation templates** (the probe's `remediation`; a `{slot}` is filled "
                "with what the probe saw):");
  fputc('\n', out);
  for (const struct diag_fix_text *t = f->t; t && t->variant; t++) {
    size_t size = strlen(t->text) + strlen(t->variant) + 32;
    char *item = malloc(size);
    if (!item)
      return;
    snprintf(item, size, "%s%s%s: `%s`", t->variant[0] ? "`" : "",
             t->variant[0] ? t->variant : "default", t->variant[0] ? "`" : "",
             t->text[0] ? t->text : "(none: nothing to fix)");
    diag_put_para(out, DIAG_MARKDOWN, "- ", "  ", item);
    free(item);
  }
  if (f->like != NC_OK) {
    char anchor[64], item[160];
    diag_anchor(anchor, sizeof(anchor), diag_names[f->like]);
    snprintf(item, sizeof(item), "and every template of [`%s`](#%s)", diag_names[f->like], anchor);
    diag_put_para(out, DIAG_MARKDOWN, "- ", "  ", item);
  }
}

static void diag_put_page(FILE *out, enum nc_code code, enum diag_style style) {
  const struct diag_page *pg = &diag_pages[code];
  const char *name = diag_names[code];
  int md = style == DIAG_MARKDOWN;
  if (md) {
    fprintf(out, "## %s\n\n", name);
    diag_put_para(out, style, "", "", pg->summary);
    fputc('\n', out);
    diag_put_para(out, style, "**When it matters:** ", "", pg->matters);
    fputc('\n', out);
    diag_put_para(out, style, "**Observed:** ", "", pg->observed);
  } else {
    char title[64];
    snprintf(title, sizeof(title), "%s: ", name);
    diag_put_para(out, style, title, "  ", pg->summary);
    fputs("\nWhen it matters:\n", out);
    diag_put_para(out, style, "  ", "  ", pg->matters);
    fputs("\nObserved:\n", out);
    diag_put_para(out, style, "  ", "  ", pg->observed);
  }
  fputs(md ? "\n**Likely causes:**\n\n" : "\nLikely causes:\n", out);
  diag_put_list(out, style, pg->causes);
  fputs(md ? "\n**Fix:**\n\n" : "\nFix:\n", out);
  diag_put_list(out, style, pg->fix);
  if (md)
    diag_put_fix_templates(out, code);
  fputc('\n', out);
  diag_put_see_also(out, style, pg->see_also);
}

/* ---- fix templates: rendering ---- */

static unsigned diag_fix_misses;

static const char *diag_fix_find(enum nc_code code, const char *variant) {
  if (!diag_valid(code))
    return NULL;
  if (!variant)
    variant = "";
  for (int hop = 0; hop < 2; hop++) {
    const struct diag_fixes *f = &diag_fixes[code];
    for (const struct diag_fix_text *t = f->t; t && t->variant; t++)
      if (strcmp(t->variant, variant) == 0)
        return t->text;
    if (f->like == NC_OK)
      break;
    code = f->like;
  }
  return NULL;
}

const char *diag_fix_template(enum nc_code code, const char *variant) {
  return diag_fix_find(code, variant);
}

const char *diag_fix_variant(enum nc_code code, int i) {
  const struct diag_fix_text *t;
  if (!diag_valid(code) || i < 0 || !(t = diag_fixes[code].t))
    return NULL;
  for (int k = 0; t[k].variant; k++)
    if (k == i)
      return t[k].variant;
  return NULL;
}

unsigned diag_fix_unfilled(void) { return diag_fix_misses; }

/* Appends n bytes of s to out (used bytes so far in *at), cutting at len. */
static void diag_fix_put(char *out, size_t len, size_t *at, const char *s, size_t n) {
  if (*at + 1 >= len)
    return;
  if (n > len - 1 - *at)
    n = len - 1 - *at;
  memcpy(out + *at, s, n);
  *at += n;
  out[*at] = '\0';
}

static const char *diag_fact_value(const struct diag_fact *facts, const char *name, size_t n) {
  for (; facts && facts->slot; facts++)
    if (strlen(facts->slot) == n && strncmp(facts->slot, name, n) == 0)
      return facts->value;
  return NULL;
}

int diag_fix(char *out, size_t len, enum nc_code code, const char *variant,
             const struct diag_fact *facts) {
  const char *t = diag_fix_find(code, variant);
  size_t at = 0;
  int missing = 0;
  if (!out || len == 0)
    return -1;
  out[0] = '\0';
  if (!t)
    return -1;
  while (*t) {
    size_t run = strcspn(t, "{}");
    diag_fix_put(out, len, &at, t, run);
    t += run;
    if (!*t)
      break;
    if (t[0] == t[1]) { /* "{{" or "}}" */
      diag_fix_put(out, len, &at, t, 1);
      t += 2;
      continue;
    }
    size_t n = t[0] == '{' ? strcspn(t + 1, "{}") : 0;
    if (t[0] == '}' || t[1 + n] != '}') { /* a stray brace: written as it is */
      diag_fix_put(out, len, &at, t, 1);
      t++;
      continue;
    }
    const char *v = diag_fact_value(facts, t + 1, n);
    if (v) {
      diag_fix_put(out, len, &at, v, strlen(v));
    } else {
      diag_fix_put(out, len, &at, t, n + 2);
      missing++;
    }
    t += n + 2;
  }
  utf8_trim_tail(out);
  if (missing)
    diag_fix_misses++;
  return missing;
}

const char *diag_name(enum nc_code code) { return diag_valid(code) ? diag_names[code] : NULL; }

int diag_from_name(const char *name) {
  if (!name)
    return -1;
  for (int i = 0; i < NC_CODE_COUNT; i++)
    if (strcasecmp(name, diag_names[i]) == 0)
      return i;
  return -1;
}

const char *diag_summary(enum nc_code code) {
  return diag_valid(code) ? diag_pages[code].summary : NULL;
}

/* Pages are rendered on first use and kept for the life of the process
 * (netcheck is single-threaded). If memory runs out, the summary stands in. */
const char *diag_explain(enum nc_code code) {
  static char *pages[NC_CODE_COUNT];
  char *buf = NULL;
  size_t len = 0;
  FILE *out;

  if (!diag_valid(code))
    return NULL;
  if (pages[code])
    return pages[code];
  out = open_memstream(&buf, &len);
  if (!out)
    return diag_pages[code].summary;
  diag_put_page(out, code, DIAG_TEXT);
  if (fclose(out) != 0 || !buf) {
    free(buf);
    return diag_pages[code].summary;
  }
  pages[code] = buf;
  return buf;
}

void diag_markdown(FILE *out) {
  fputs("# Diagnosis codes\n", out);
  for (const char *const *para = diag_md_intro; *para; para++) {
    fputc('\n', out);
    diag_put_para(out, DIAG_MARKDOWN, "", "", *para);
  }
  fputs("\n| Code | Meaning |\n|---|---|\n", out);
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    char anchor[64];
    diag_anchor(anchor, sizeof(anchor), diag_names[i]);
    fprintf(out, "| [`%s`](#%s) | %s |\n", diag_names[i], anchor, diag_pages[i].summary);
  }
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    fputc('\n', out);
    diag_put_page(out, (enum nc_code)i, DIAG_MARKDOWN);
  }
}
