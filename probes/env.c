/*
 * env.c - the env probe: interfaces, addresses, MTU, routes, resolv.conf and
 * network isolation (no interface but lo). Synchronous: it reads local
 * kernel state only, so it finishes inside start().
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/probe.h"
#include "netcheck/resolve.h"

#define ROUTE_FILE_MAX (256 * 1024)
#define MAX_IFACES 64

static int prefix_len(const struct sockaddr *mask) {
  const unsigned char *b;
  int n, bits = 0;
  if (!mask)
    return -1;
  if (mask->sa_family == AF_INET) {
    b = (const unsigned char *)&((const struct sockaddr_in *)(const void *)mask)->sin_addr;
    n = 4;
  } else if (mask->sa_family == AF_INET6) {
    b = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)mask)->sin6_addr;
    n = 16;
  } else {
    return -1;
  }
  for (int i = 0; i < n; i++)
    for (int k = 7; k >= 0; k--)
      if (b[i] & (1 << k))
        bits++;
  return bits;
}

static int iface_mtu(int sock, const char *name) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  nc_strlcpy(ifr.ifr_name, name, sizeof ifr.ifr_name);
  if (sock < 0 || ioctl(sock, SIOCGIFMTU, &ifr) < 0)
    return -1;
  return ifr.ifr_mtu;
}

static cJSON *find_iface(cJSON *arr, const char *name) {
  cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
    if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
      return it;
  }
  return NULL;
}

/* Returns the number of interfaces other than lo. */
static int add_interfaces(cJSON *env) {
  cJSON *arr = cJSON_AddArrayToObject(env, "interfaces");
  struct ifaddrs *ifa, *i;
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), others = 0, n = 0;
  if (getifaddrs(&ifa)) {
    if (sock >= 0)
      close(sock);
    return -1;
  }
  for (i = ifa; i; i = i->ifa_next) {
    cJSON *o = find_iface(arr, i->ifa_name), *addrs;
    char text[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];
    const void *src;
    if (!o) {
      if (n++ >= MAX_IFACES)
        continue;
      o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", i->ifa_name);
      cJSON_AddBoolToObject(o, "up", (i->ifa_flags & IFF_UP) != 0);
      cJSON_AddBoolToObject(o, "loopback", (i->ifa_flags & IFF_LOOPBACK) != 0);
      cJSON_AddNumberToObject(o, "mtu", iface_mtu(sock, i->ifa_name));
      cJSON_AddArrayToObject(o, "addresses");
      cJSON_AddItemToArray(arr, o);
      if (!(i->ifa_flags & IFF_LOOPBACK))
        others++;
    }
    if (!i->ifa_addr)
      continue;
    if (i->ifa_addr->sa_family == AF_INET)
      src = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
    else if (i->ifa_addr->sa_family == AF_INET6)
      src = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
    else
      continue;
    if (!inet_ntop(i->ifa_addr->sa_family, src, text, sizeof text))
      continue;
    nc_snprintf(buf, sizeof buf, "%s/%d", text, prefix_len(i->ifa_netmask));
    addrs = cJSON_GetObjectItemCaseSensitive(o, "addresses");
    cJSON_AddItemToArray(addrs, cJSON_CreateString(buf));
  }
  freeifaddrs(ifa);
  if (sock >= 0)
    close(sock);
  return others;
}

/* IPv4 routes from /proc/net/route (little-endian hex fields). */
static void add_routes(cJSON *env) {
  cJSON *arr = cJSON_AddArrayToObject(env, "routes");
  char *buf, *line, *save = NULL;
  size_t len;
  int n = 0;
  if (nc_read_file("/proc/net/route", ROUTE_FILE_MAX, &buf, &len))
    return;
  (void)strtok_r(buf, "\n", &save); /* the header line */
  while ((line = strtok_r(NULL, "\n", &save)) && n < 64) {
    char ifname[32];
    unsigned int dst, gw, flags, mask;
    int metric;
    struct in_addr a;
    char d[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN], dest[64];
    cJSON *o;
    /* The kernel's own fixed format; a line that does not match is skipped. */
    // NOLINTNEXTLINE(cert-err34-c)
    if (sscanf(line, "%31s %x %x %x %*d %*d %d %x", ifname, &dst, &gw, &flags, &metric, &mask) != 6)
      continue;
    a.s_addr = dst;
    inet_ntop(AF_INET, &a, d, sizeof d);
    a.s_addr = gw;
    inet_ntop(AF_INET, &a, g, sizeof g);
    a.s_addr = mask;
    inet_ntop(AF_INET, &a, m, sizeof m);
    {
      int bits = 0;
      for (unsigned int v = mask; v; v >>= 1)
        bits += (int)(v & 1u);
      nc_snprintf(dest, sizeof dest, "%s/%d", d, bits);
    }
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "destination", dest);
    cJSON_AddStringToObject(o, "gateway", gw ? g : "");
    cJSON_AddStringToObject(o, "interface", ifname);
    cJSON_AddNumberToObject(o, "metric", metric);
    cJSON_AddItemToArray(arr, o);
    n++;
    (void)m;
  }
  free(buf);
}

static void add_resolv(cJSON *env, struct resolv_conf *rc, int *ok) {
  cJSON *r = cJSON_AddObjectToObject(env, "resolv"), *a;
  *ok = resolve_conf_load(rc) == 0;
  a = cJSON_AddArrayToObject(r, "nameservers");
  for (int i = 0; i < rc->n_nameservers; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(rc->nameservers[i]));
  a = cJSON_AddArrayToObject(r, "search");
  for (int i = 0; i < rc->n_search; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(rc->search[i]));
  a = cJSON_AddArrayToObject(r, "options");
  for (int i = 0; i < rc->n_options; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(rc->options[i]));
}

/* No interface but lo: the job runs with network isolation. */
static bool env_is_isolated(void) {
  struct ifaddrs *ifa, *i;
  bool isolated = true;
  if (getifaddrs(&ifa))
    return false;
  for (i = ifa; i; i = i->ifa_next)
    if (!(i->ifa_flags & IFF_LOOPBACK))
      isolated = false;
  freeifaddrs(ifa);
  return isolated;
}

const struct probe_family env_family;

/* What the probe found about the host becomes the report's "environment"
 * (the family's state: a cJSON object); the probe's own details point there. */
static int env_start(struct probe *p) {
  cJSON *env = cJSON_CreateObject(), *d = probe_details(p);
  void **state = plan_family_state(p->plan, &env_family);
  struct resolv_conf rc;
  int others, resolv_ok;
  int64_t t0 = nc_now_ms();
  if (!env)
    return -1;
  cJSON_Delete(*state);
  *state = env;
  errno = 0;
  others = add_interfaces(env);
  if (others < 0)
    probe_note_errno(p, errno); /* getifaddrs needs a netlink socket */
  add_routes(env);
  add_resolv(env, &rc, &resolv_ok);
  cJSON_AddBoolToObject(env, "isolated", others == 0);
  cJSON_AddStringToObject(d, "see", "environment");
  cJSON_AddBoolToObject(d, "isolated", others == 0);
  p->t.total = (double)(nc_now_ms() - t0);
  if (others < 0) {
    probe_finish(p, NC_VERDICT_WARN, NC_OK, "getifaddrs_failed",
                 "could not list the network interfaces");
    return 0;
  }
  if (others == 0) {
    if (p->expect != NC_EXPECT_BLOCKED)
      probe_fix(p, NC_NETWORK_ISOLATED, NULL, NULL);
    probe_finish(p, probe_judge(p, false), NC_NETWORK_ISOLATED, "isolated",
                 "no network interface but lo: the job runs with network isolation%s",
                 p->expect == NC_EXPECT_BLOCKED ? ", as its NetworkConfig asks" : "");
    return 0;
  }
  probe_finish(p, probe_judge(p, true),
               p->expect == NC_EXPECT_BLOCKED ? NC_EGRESS_UNEXPECTED : NC_OK, "ok",
               "%d network interface%s besides lo; %d nameserver%s%s", others,
               others == 1 ? "" : "s", rc.n_nameservers, rc.n_nameservers == 1 ? "" : "s",
               resolv_ok ? "" : " (resolv.conf unreadable)");
  return 0;
}

static void env_environment(const struct plan *pl, cJSON *out) {
  const cJSON *env = plan_family_state_get(pl, &env_family), *it;
  if (!env)
    return;
  cJSON_ArrayForEach(it, env) {
    if (it->string && !cJSON_HasObjectItem(out, it->string))
      cJSON_AddItemToObject(out, it->string, cJSON_Duplicate(it, 1));
  }
}

static void env_free_state(void *state) { cJSON_Delete(state); }

static const struct probe_ops env_ops = {
    .family = &env_family,
    .flags = NC_PROBE_LOCAL,
    .start = env_start,
};

static int env_plan(struct plan *pl, const struct nc_config *cfg) {
  struct probe_spec spec = {
      .id = "env:network",
      .target = "local",
      .tier = NC_TIER_REQUIRED,
      /* A job run with EnableNetworkIsolation is meant to have no network. */
      .expect = cfg->job.network_isolation == 1 ? NC_EXPECT_BLOCKED : NC_EXPECT_REACHABLE,
  };
  if (!plan_add(pl, cfg, &env_ops, &spec))
    return -1;
  if (env_is_isolated()) {
    pl->no_network = true;
    pl->no_network_code = NC_NETWORK_ISOLATED;
    nc_strlcpy(pl->no_network_why, "the container has no network interface but lo",
               sizeof pl->no_network_why);
  }
  return 0;
}

const struct probe_family env_family = {
    .name = "env",
    .help = "interfaces, addresses, MTU, routes, resolv.conf, network isolation",
    .tier = NC_TIER_REQUIRED,
    .expect = NC_EXPECT_REACHABLE,
    .tier_note = "expects no network when the job sets EnableNetworkIsolation",
    .plan = env_plan,
    .environment = env_environment,
    .free_state = env_free_state,
};
